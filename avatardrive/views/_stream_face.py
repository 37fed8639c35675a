"""The AU frame behind a received stream, for the monitor's preview face (no Qt).

A monitor keys each value by what the stream calls it: an OSC address (``/avatardrive/au/AU12_L``
from a generic ``?au=1`` stream, ``/avatardrive/AU12_L`` from the ``facs`` rig) or a VMC shape
name (``MouthSmileLeft`` from a Perfect Sync / ARKit stream, ``/avatar/parameters/FT/v2/...``
from VRChat face tracking). :class:`StreamFace` reads AU channels where the stream carries them,
and otherwise brings shape weights back to AU channels through the inverse of the built-in rig
whose names the stream uses most: ``arkit52`` or ``vrcft``. (VRM preset streams - ``Joy``,
``A``, ``Blink_L`` - say too little to solve a face from.)
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

from avatardrive.errors import AvatarDriveError
from avatardrive.facs import CHANNELS, N_CHANNELS
from avatardrive.retarget import Rig, load_rig, match_columns

__all__ = ["MIN_SHAPES", "SOLVING_RIGS", "StreamFace"]

#: Fewest shapes of a rig a stream must carry before its face is solved from them.
MIN_SHAPES = 8
#: The rigs whose inverse may solve a stream's face, most preferred first.
SOLVING_RIGS = ("arkit52", "vrcft")
_NO_FACE = ("no AU channels, ARKit or VRChat face-tracking shapes in this stream (send "
            "osc://…?au=1, or ARKit / Perfect Sync names)")  # fmt: skip
_CHANNEL_INDEX = {name.upper(): i for i, name in enumerate(CHANNELS)}


def _last_part(key: str) -> str:
    return key.rsplit("/", 1)[-1]


class StreamFace:
    """Turns a monitor's latest values into one AU frame.

    Attributes
    ----------
    source : str
        Where the last frame came from, for a caption: ``"AU channels (n)"``, ``"arkit52 inverse
        of n shapes"`` (or ``vrcft``), or why there is no face.
    """

    def __init__(self) -> None:
        self.source = "nothing received yet"
        self._keys: tuple[str, ...] = ()
        self._channels: list[tuple[str, int]] = []
        self._shapes: list[tuple[str, int]] = []
        self._rig: Rig | None = None
        self._rigs: dict[str, Rig] = {}

    def _learn(self, keys: tuple[str, ...]) -> None:
        """Which keys are AU channels, or else which are a rig's shapes (when the keys change)."""
        self._keys = keys
        self._channels = [(k, _CHANNEL_INDEX[_last_part(k).upper()]) for k in keys
                          if _last_part(k).upper() in _CHANNEL_INDEX]  # fmt: skip
        self._shapes, self._rig = [], None
        if self._channels or not keys:
            return
        for name in SOLVING_RIGS:
            rig = self._rigs.get(name) or self._rigs.setdefault(name, load_rig(name))
            try:
                match = match_columns(rig, keys)
            except AvatarDriveError:  # two keys name one shape: not this rig's stream
                continue
            shapes = [(k, s) for k, s in zip(keys, match.shapes, strict=True) if s >= 0]
            if len(shapes) > len(self._shapes):
                self._shapes, self._rig = shapes, rig

    def frame(self, values: Mapping[str, float]) -> npt.NDArray[np.float32] | None:
        """The AU frame ``(N_CHANNELS,)`` in [0, 1] behind ``values`` (key -> latest value), or
        ``None`` when the stream carries neither AU channels nor enough shapes of a rig."""
        keys = tuple(values)
        if keys != self._keys:
            self._learn(keys)
        if self._channels:
            au = np.zeros(N_CHANNELS, dtype=np.float32)
            for key, index in self._channels:
                au[index] = values[key]
            self.source = f"AU channels ({len(self._channels)})"
            return np.clip(np.nan_to_num(au), 0.0, 1.0)
        if self._rig is not None and len(self._shapes) >= MIN_SHAPES:
            weights = np.full(self._rig.n_shapes, np.nan)
            for key, index in self._shapes:
                weights[index] = values[key]
            self.source = f"{self._rig.name} inverse of {len(self._shapes)} shapes"
            return np.clip(np.nan_to_num(self._rig.inverse_frame(weights)), 0.0, 1.0)
        self.source = _NO_FACE if keys else "nothing received yet"
        return None
