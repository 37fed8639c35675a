"""Mood: a point in the valence-arousal plane rendered as a background expression.

The emotion prototypes placed on the circumplex (``[[circumplex]]`` in ``emotions.toml``, with
sources) are mixed by how close their direction is to the mood's. For a mood ``(v, a)`` with
radius ``r = min(1, hypot(v, a))`` and angle ``theta``, each placed emotion ``e`` at angle
``theta_e`` gets a closeness ``K_e = exp(KAPPA * (cos(theta - theta_e) - 1))`` (a von Mises bump,
1 when the directions agree); the expression is

    AU = r * max_e(K_e) * sum_e (K_e / sum K) * prototype_e

so a mood pointing at an emotion shows that emotion at the mood's strength, a mood between two
neighbours blends them, a mood in a direction no emotion occupies (sleepy, low arousal) stays
faint, and the neutral centre is a neutral face. Everything is continuous in ``(v, a)``, so a
mood that moves smoothly moves the face smoothly.

A mood track's keyframes are joined by straight lines in the plane, travelled with a
minimum-jerk time course (one velocity peak between two keys); the mood holds before the first
key and after the last.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
from numpy.typing import ArrayLike, NDArray

from avatardrive.errors import ParameterError
from avatardrive.facs import N_CHANNELS, action_unit, channels_of
from avatardrive.synth._envelope import min_jerk
from avatardrive.synth._library import EmotionLibrary, emotion_library
from avatardrive.timeline import MoodKey

__all__ = ["KAPPA", "MoodMap", "mood_curves", "mood_map", "mood_path"]

#: Concentration of the closeness bump (our choice): neighbours 30 degrees apart share about
#: 55/45 at a point a third of the way between them; 60 degrees away an emotion keeps 5 %.
KAPPA = 6.0
#: The side one-sided prototype AUs (contempt's U12) go to in a mood: the performer's right.
_ONE_SIDE = "R"


@dataclass(frozen=True)
class MoodMap:
    """The placed emotions and their AU frames.

    Attributes
    ----------
    names : tuple of str
        Qualified prototype names, one per placed emotion.
    angles : ndarray, shape (e,)
        Their directions in the plane, radians (valence = 0, arousal = pi/2).
    frames : ndarray of float64, shape (e, N_CHANNELS)
        Each prototype's AU frame at its own intensities (core AUs; optional ones left out).
    """

    names: tuple[str, ...]
    angles: NDArray[np.float64]
    frames: NDArray[np.float64]

    def weights(self, valence: ArrayLike, arousal: ArrayLike) -> NDArray[np.float64]:
        """How much of each emotion a mood shows.

        Parameters
        ----------
        valence, arousal : array_like, shape (n,)
            Mood coordinates in [-1, 1].

        Returns
        -------
        ndarray, shape (n, e)
            Non-negative; their sum is the mood's strength, at most 1.
        """
        v = np.atleast_1d(np.asarray(valence, dtype=np.float64))
        a = np.atleast_1d(np.asarray(arousal, dtype=np.float64))
        length = np.hypot(v, a)
        scale = np.where(length > 0.0, 1.0 / np.where(length > 0.0, length, 1.0), 0.0)
        # cos(theta - theta_e) = (v cos theta_e + a sin theta_e) / |(v, a)|  (0 at the centre)
        cosine = (v * scale)[:, None] * np.cos(self.angles) + (a * scale)[:, None] * np.sin(
            self.angles
        )
        closeness = np.exp(KAPPA * (cosine - 1.0))
        total = closeness.sum(axis=1)
        strength = np.minimum(length, 1.0) * closeness.max(axis=1) / total
        weights: NDArray[np.float64] = closeness * strength[:, None]
        return weights

    def frame(self, valence: float, arousal: float) -> NDArray[np.float64]:
        """The AU frame of one mood, shape (N_CHANNELS,), values in [0, 1].

        Raises
        ------
        ParameterError
            Coordinates outside [-1, 1] or not finite.
        """
        check_mood(valence, arousal)
        frame: NDArray[np.float64] = np.clip(self.weights([valence], [arousal]) @ self.frames,
                                             0.0, 1.0)[0]  # fmt: skip
        return frame

    def curves(self, valence: NDArray[np.float64], arousal: NDArray[np.float64],
               *, out: NDArray[np.float32] | None = None) -> NDArray[np.float32]:  # fmt: skip
        """AU frames of a mood path, shape (n, N_CHANNELS), float32 in [0, 1].

        Parameters
        ----------
        valence, arousal : ndarray, shape (n,)
        out : ndarray of float32, shape (n, N_CHANNELS), optional
            Where to write them.
        """
        result = out if out is not None else np.empty((valence.size, N_CHANNELS), np.float32)
        frames = self.frames.astype(np.float32)
        step = 8192  # frames at a time: bounded temporaries on long timelines
        for first in range(0, valence.size, step):
            rows = slice(first, min(first + step, valence.size))
            weights = self.weights(valence[rows], arousal[rows]).astype(np.float32)
            np.matmul(weights, frames, out=result[rows])
        return np.clip(result, 0.0, 1.0, out=result)


def check_mood(valence: float, arousal: float) -> None:
    """Raise :class:`ParameterError` unless both coordinates are finite and in [-1, 1]."""
    for name, value in (("valence", valence), ("arousal", arousal)):
        if not (isinstance(value, (int, float)) and math.isfinite(value) and -1 <= value <= 1):
            raise ParameterError(f"mood {name} {value!r}; expected a number in [-1, 1]")


def _prototype_frame(library: EmotionLibrary, name: str) -> NDArray[np.float64]:
    frame = np.zeros(N_CHANNELS)
    for key, value in library.get(name).aus:
        left, right = channels_of(key.number)
        side = _ONE_SIDE if key.side == "U" and not action_unit(key.number).midline else key.side
        for channel, channel_side in ((left, "L"), (right, "R")):
            if side in (None, "U", channel_side):
                frame[channel] = max(frame[channel], value)
    return frame


def _build(library: EmotionLibrary) -> MoodMap:
    points = library.circumplex
    if not points:
        raise ParameterError("the emotion library places no emotion on the circumplex; "
                             "expected [[circumplex]] entries")  # fmt: skip
    return MoodMap(
        names=tuple(p.emotion for p in points),
        angles=np.array([math.atan2(p.arousal, p.valence) for p in points]),
        frames=np.array([_prototype_frame(library, p.emotion) for p in points]),
    )


@cache
def _shipped() -> MoodMap:
    return _build(emotion_library())


def mood_map(library: EmotionLibrary | None = None) -> MoodMap:
    """The mood map of ``library`` (the shipped one, cached, by default)."""
    return _shipped() if library is None else _build(library)


def mood_path(
    keys: Sequence[MoodKey], times: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Valence and arousal of a mood track at ``times`` (seconds), each shape (n,)."""
    at = np.array([k.at for k in keys])
    valence = np.array([k.valence for k in keys])
    arousal = np.array([k.arousal for k in keys])
    segment = np.clip(np.searchsorted(at, times, side="right") - 1, 0, max(0, len(keys) - 2))
    if len(keys) == 1:
        return np.full(times.size, valence[0]), np.full(times.size, arousal[0])
    begin, end = at[segment], at[segment + 1]
    progress = min_jerk((times - begin) / (end - begin))
    v = valence[segment] + (valence[segment + 1] - valence[segment]) * progress
    a = arousal[segment] + (arousal[segment + 1] - arousal[segment]) * progress
    return v, a


def mood_curves(
    keys: Sequence[MoodKey],
    *,
    n_frames: int,
    fps: float,
    library: EmotionLibrary | None = None,
    first_frame: int = 0,
) -> NDArray[np.float32] | None:
    """The background expression of a mood track on the frame grid, frames ``first_frame`` on.

    Returns
    -------
    ndarray of float32, shape (n_frames, N_CHANNELS), or None
        ``None`` when there are no mood keys.
    """
    if not keys:
        return None
    times = (first_frame + np.arange(n_frames, dtype=np.float64)) / fps
    valence, arousal = mood_path(keys, times)
    return mood_map(library).curves(valence, arousal)
