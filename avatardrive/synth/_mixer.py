"""The mixer: triggered expressions layered on a base AU stream, one frame at a time.

The base is whatever is playing (a rendered timeline, a tracked face). Triggers - from OSC control
messages or hotkeys - are timeline events resolved at the moment they arrive and evaluated per
frame with the same envelopes as a render. ``neutral`` releases every triggered layer from wherever
it is with a minimum-jerk offset, so nothing jumps.

A mood (valence, arousal; ``/avatardrive/mood``) adds a background expression under the triggered
layers; a new mood is eased to from wherever the mood is, never stepped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from avatardrive.errors import ParameterError, TimelineError
from avatardrive.facs import N_CHANNELS
from avatardrive.synth._envelope import envelope, min_jerk
from avatardrive.synth._library import EmotionLibrary, emotion_library
from avatardrive.synth._mood import MoodMap, check_mood, mood_map
from avatardrive.synth._resolve import ResolvedEvent, event_curves, resolve_event
from avatardrive.timeline import Event, Style

__all__ = ["Layer", "Mixer"]

_MAX_LAYERS = 64  # a flood of triggers replaces the oldest layers instead of growing without end


@dataclass(frozen=True)
class Layer:
    """One triggered expression: a resolved event, and when it was released (if it was)."""

    event: ResolvedEvent
    released_at: float | None = None
    release_from: NDArray[np.float64] | None = None  # (k,) values when released

    def values(self, now: float) -> NDArray[np.float64]:
        """Values of the event's channels at ``now``, shape (k,)."""
        event = self.event
        if event.moves is not None:  # keyframed or held
            value = event_curves(event, np.array([now - event.start]), weights=False)[0][:, 0]
        else:
            since = now - event.start - event.delays
            value = event.amplitudes * envelope(
                since, onset=event.onsets, apex=event.apex, offset=event.offset
            )
        if self.released_at is None or self.release_from is None:
            return value
        fade = 1.0 - min_jerk((now - self.released_at) / Mixer.RELEASE)
        return np.minimum(value, self.release_from * fade)

    def finished(self, now: float) -> bool:
        if self.released_at is not None:
            return now >= self.released_at + Mixer.RELEASE
        return now >= self.event.end


class Mixer:
    """Layers triggered expressions over a base stream.

    Parameters
    ----------
    seed
        Seed of the triggered events' random choices (sub-configurations, lags).
    avatar_asymmetry
        The face's fixed side gain difference, + = left stronger.
    prototypes
        The prototype set unqualified emotion names are looked up in first.
    library
        Emotion prototypes; the shipped library by default.

    Examples
    --------
    >>> mixer = Mixer()
    >>> _ = mixer.trigger(Event(start=0.0, emotion="happiness"), now=1.0)
    >>> frame = mixer.frame(None, now=1.5)   # (N_CHANNELS,) float32
    """

    #: Seconds a released layer takes to fade out.
    RELEASE = 0.4
    #: A new mood is eased to over ``MOOD_EASE[0] + MOOD_EASE[1] * distance`` seconds (distance in
    #: the valence-arousal plane; our choice: a mood is slower than an expression's onset).
    MOOD_EASE = (0.5, 1.0)

    def __init__(
        self,
        *,
        seed: int = 0,
        avatar_asymmetry: float = 0.0,
        prototypes: str = "canonical",
        library: EmotionLibrary | None = None,
    ) -> None:
        self._seed = seed
        self._asymmetry = avatar_asymmetry
        self._prototypes = (library or emotion_library()).set_name(prototypes)
        self._library = library
        self._layers: list[Layer] = []
        self._triggered = 0
        self._mood_map: MoodMap | None = None
        self._mood_from = (0.0, 0.0)
        self._mood_to = (0.0, 0.0)
        self._mood_began = 0.0
        self._mood_ease = 1.0

    @property
    def layers(self) -> tuple[Layer, ...]:
        """The layers playing now (finished ones are dropped by :meth:`frame`)."""
        return tuple(self._layers)

    def trigger(self, event: Event, *, now: float) -> ResolvedEvent:
        """Start ``event`` at ``now`` (its own ``start`` is ignored).

        Raises
        ------
        TimelineError
            An unknown emotion name.
        """
        event = replace(event, start=max(0.0, now))
        try:
            resolved = resolve_event(
                event,
                index=self._triggered,
                seed=self._seed,
                avatar_asymmetry=self._asymmetry,
                library=self._library,
                prototypes=self._prototypes,
            )
        except TimelineError as err:  # a trigger is no timeline event: drop the events[i] place
            raise TimelineError(err.message) from None
        self._triggered += 1
        self._layers.append(Layer(resolved))
        del self._layers[:-_MAX_LAYERS]
        return resolved

    def trigger_emotion(
        self,
        name: str,
        *,
        now: float,
        intensity: float | None = None,
        micro: bool = False,
        **options: object,
    ) -> ResolvedEvent:
        """Start an emotion prototype at ``now``; options as in :class:`Event`."""
        event = Event(start=0.0, emotion=name, intensity=intensity, micro=micro, **options)  # type: ignore[arg-type]
        return self.trigger(event, now=now)

    def trigger_aus(
        self, aus: Mapping[str, float], *, now: float, duration: float, style: Style = "posed"
    ) -> ResolvedEvent:
        """Pulse AU channels for ``duration`` seconds: onset 25 %, apex 35 %, offset 40 %."""
        if not np.isfinite(duration) or duration <= 0:
            raise ParameterError(f"duration {duration!r}; expected a number of seconds above 0")
        try:
            event = Event(
                start=0.0,
                aus=aus,
                onset=0.25 * duration,
                apex=0.35 * duration,
                offset=0.4 * duration,
                style=style,
                side_lag=0.0,
                lags={key.split("_")[0]: 0.0 for key in aus},
            )
        except TimelineError as err:
            raise ParameterError(
                f"{err.where}: {err.message}" if err.where else err.message
            ) from None
        return self.trigger(event, now=now)

    def set_mood(
        self, valence: float, arousal: float, *, now: float, ease: float | None = None
    ) -> None:
        """Move the background mood to (``valence``, ``arousal``), both in [-1, 1].

        The mood travels in a straight line from where it is at ``now`` with a minimum-jerk time
        course over ``ease`` seconds (default :attr:`MOOD_EASE`, growing with the distance).

        Raises
        ------
        ParameterError
            Coordinates outside [-1, 1], or an ease that is not a positive number of seconds.
        """
        check_mood(valence, arousal)
        here = self.mood(now)
        distance = float(np.hypot(valence - here[0], arousal - here[1]))
        if ease is None:
            ease = self.MOOD_EASE[0] + self.MOOD_EASE[1] * distance
        if not (np.isfinite(ease) and ease > 0):
            raise ParameterError(f"mood ease {ease!r}; expected a number of seconds above 0")
        if self._mood_map is None:
            self._mood_map = mood_map(self._library)
        self._mood_from, self._mood_to = here, (float(valence), float(arousal))
        self._mood_began, self._mood_ease = now, float(ease)

    def mood(self, now: float) -> tuple[float, float]:
        """The (valence, arousal) of the mood at ``now``."""
        progress = float(min_jerk((now - self._mood_began) / self._mood_ease))
        (v0, a0), (v1, a1) = self._mood_from, self._mood_to
        return v0 + (v1 - v0) * progress, a0 + (a1 - a0) * progress

    def neutral(self, *, now: float) -> None:
        """Release every triggered layer: each fades from where it is to rest over RELEASE s."""
        self._layers = [
            layer
            if layer.released_at is not None
            else Layer(layer.event, released_at=now, release_from=layer.values(now))
            for layer in self._layers
        ]

    def frame(
        self,
        base: NDArray[np.float32] | None,
        *,
        now: float,
        out: NDArray[np.float32] | None = None,
    ) -> NDArray[np.float32]:
        """The mixed frame at ``now``: base, mood and every layer on top (maximum), in [0, 1].

        Parameters
        ----------
        base : ndarray, shape (N_CHANNELS,), or None
            The base frame (None = a neutral face). NaN and infinite values count as 0 / clamped.
        now : float
            Seconds on the same clock as the triggers.
        out : ndarray of float32, shape (N_CHANNELS,), optional
            Where to write the result.

        Returns
        -------
        ndarray of float32, shape (N_CHANNELS,)
        """
        result = out if out is not None else np.empty(N_CHANNELS, dtype=np.float32)
        if base is None:
            result.fill(0.0)
        else:
            if base is not result:
                np.copyto(result, base)
            np.nan_to_num(result, copy=False, nan=0.0, posinf=1.0, neginf=0.0)
        if self._mood_map is not None:
            valence, arousal = self.mood(now)
            if valence or arousal:
                np.maximum(result, self._mood_map.frame(valence, arousal), out=result,
                           casting="unsafe")  # fmt: skip
        self._layers = [layer for layer in self._layers if not layer.finished(now)]
        for layer in self._layers:
            channels = layer.event.channels
            result[channels] = np.maximum(result[channels], layer.values(now))
        return np.clip(result, 0.0, 1.0, out=result)
