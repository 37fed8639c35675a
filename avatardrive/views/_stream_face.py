"""The AU frame behind a received stream, for the monitor's preview face (no Qt).

A monitor keys each value by what the stream calls it: an OSC address (``/avatardrive/au/AU12_L``
from a generic ``?au=1`` stream, ``/avatardrive/AU12_L`` from the ``facs`` rig) or a VMC shape
name (``MouthSmileLeft`` from a Perfect Sync / ARKit stream). :class:`StreamFace` reads AU
channels where the stream carries them, and otherwise brings ARKit shape weights back to AU
channels through the ``arkit52`` rig's inverse.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

from avatardrive.errors import AvatarDriveError
from avatardrive.facs import CHANNELS, N_CHANNELS
from avatardrive.retarget import Rig, load_rig, match_columns

__all__ = ["MIN_ARKIT_SHAPES", "StreamFace"]

#: Fewest ARKit shapes a stream must carry before its face is solved from them.
MIN_ARKIT_SHAPES = 8
_NO_FACE = ("no AU channels or ARKit shapes in this stream (send osc://…?au=1, or ARKit / "
            "Perfect Sync names)")  # fmt: skip
_CHANNEL_INDEX = {name.upper(): i for i, name in enumerate(CHANNELS)}


def _last_part(key: str) -> str:
    return key.rsplit("/", 1)[-1]


class StreamFace:
    """Turns a monitor's latest values into one AU frame.

    Attributes
    ----------
    source : str
        Where the last frame came from, for a caption: ``"AU channels (n)"``, ``"arkit52 inverse
        of n shapes"``, or why there is no face.
    """

    def __init__(self) -> None:
        self.source = "nothing received yet"
        self._keys: tuple[str, ...] = ()
        self._channels: list[tuple[str, int]] = []
        self._shapes: list[tuple[str, int]] = []
        self._rig: Rig | None = None

    def _learn(self, keys: tuple[str, ...]) -> None:
        """Which keys are AU channels, and which are ARKit shapes (done when the keys change)."""
        self._keys = keys
        self._channels = [(k, _CHANNEL_INDEX[_last_part(k).upper()]) for k in keys
                          if _last_part(k).upper() in _CHANNEL_INDEX]  # fmt: skip
        self._shapes = []
        if self._channels or not keys:
            return
        if self._rig is None:
            self._rig = load_rig("arkit52")
        try:
            match = match_columns(self._rig, keys)
        except AvatarDriveError:  # two keys name one shape: not a stream we can read as ARKit
            return
        self._shapes = [(k, s) for k, s in zip(keys, match.shapes, strict=True) if s >= 0]

    def frame(self, values: Mapping[str, float]) -> npt.NDArray[np.float32] | None:
        """The AU frame ``(N_CHANNELS,)`` in [0, 1] behind ``values`` (key -> latest value), or
        ``None`` when the stream carries neither AU channels nor enough ARKit shapes."""
        keys = tuple(values)
        if keys != self._keys:
            self._learn(keys)
        if self._channels:
            au = np.zeros(N_CHANNELS, dtype=np.float32)
            for key, index in self._channels:
                au[index] = values[key]
            self.source = f"AU channels ({len(self._channels)})"
            return np.clip(np.nan_to_num(au), 0.0, 1.0)
        if self._rig is not None and len(self._shapes) >= MIN_ARKIT_SHAPES:
            weights = np.full(self._rig.n_shapes, np.nan)
            for key, index in self._shapes:
                weights[index] = values[key]
            self.source = f"arkit52 inverse of {len(self._shapes)} shapes"
            return np.clip(np.nan_to_num(self._rig.inverse_frame(weights)), 0.0, 1.0)
        self.source = _NO_FACE if keys else "nothing received yet"
        return None
