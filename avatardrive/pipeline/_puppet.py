"""Live puppeteering without Qt: track a face, layer hotkey expressions on top, stream the result.

:class:`PuppetController` owns the tracker, the mixer, the routes, the hotkeys and the freeze
state. ``step(frame)`` tracks one input frame, mixes the triggered layers on top, sends the
result to every route and returns a :class:`PuppetState` for a view to draw; ``key(name,
shift=...)`` handles one hotkey. The Qt window (``_puppet_window``) only calls these and draws, so
everything here is testable without a display; ``_puppet_pump`` paces the input frames.

Hotkeys (:data:`KEY_HELP`)::

    1-7        happiness, sadness, surprise, fear, anger, disgust, contempt (spontaneous style)
    Shift+1-7  the same, posed style
    M, 1-7     a micro-expression of that emotion
    B          a blink (AU45 pulse on both sides, 0.25 s)
    C          calibrate the neutral again (hold a rest face)
    Space      freeze: hold the current output frame (again: live)
    Escape     quit
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from avatardrive.facs import N_CHANNELS
from avatardrive.pipeline._routes import Route
from avatardrive.pipeline._step import FrameStep
from avatardrive.retarget import Rig
from avatardrive.synth import Layer, Mixer
from avatardrive.tracking import TrackResult, VideoFrame
from avatardrive.transport import ControlListener

__all__ = [
    "BLINK_SECONDS",
    "EMOTION_KEYS",
    "KEY_HELP",
    "FaceTracker",
    "LayerStatus",
    "PuppetController",
    "PuppetState",
]

FloatArray = NDArray[np.float32]

#: Digit key -> emotion prototype triggered by it.
EMOTION_KEYS: Mapping[str, str] = {
    "1": "happiness",
    "2": "sadness",
    "3": "surprise",
    "4": "fear",
    "5": "anger",
    "6": "disgust",
    "7": "contempt",
}
#: Length of the blink pulse of key B, seconds.
BLINK_SECONDS = 0.25
#: (keys, what they do), in the order a view lists them.
KEY_HELP: tuple[tuple[str, str], ...] = (
    ("1–7", "happiness · sadness · surprise · fear · anger · disgust · contempt"),
    ("Shift+1–7", "the same, posed style"),
    ("M, 1–7", "micro-expression"),
    ("B", "blink"),
    ("C", "calibrate the neutral (hold a rest face)"),
    ("Space", "freeze / unfreeze the output"),
    ("Esc", "quit"),
)
_RATE_WINDOW = 1.0  # seconds over which the frame rate is measured
_KEY_ALIASES = {"esc": "Escape", "escape": "Escape", "space": "Space", " ": "Space"}


class FaceTracker(Protocol):
    """What the controller needs of a tracker (:class:`~avatardrive.tracking.Tracker`)."""

    @property
    def calibrating(self) -> bool: ...

    def update(self, frame: VideoFrame) -> TrackResult: ...

    def recalibrate(self, seconds: float | None = None) -> None: ...


@dataclass(frozen=True)
class LayerStatus:
    """One triggered expression playing now: its label and the seconds until it has faded."""

    label: str
    remaining: float


@dataclass(frozen=True, eq=False)
class PuppetState:
    """What one :meth:`PuppetController.step` did, for a view to draw.

    Attributes
    ----------
    index : int
        Output frame number, from 0.
    time : float
        Stream time of the frame, seconds since the first input frame.
    image : ndarray of uint8, shape (height, width, 3), or None
        The input image (RGB), when the source has images.
    landmarks : ndarray of float32, shape (478, 3), or None
        The face mesh in pixels, when a face was found.
    face_found, calibrating : bool
        As in :class:`~avatardrive.tracking.TrackResult`.
    tracked : ndarray of float32, shape (N_CHANNELS,)
        The tracker's AU frame.
    au : ndarray of float32, shape (N_CHANNELS,)
        The AU frame sent: the tracked face with the layers on top, or the held frame when frozen.
    weights : ndarray of float32, shape (shapes,)
        ``au`` retargeted to the view's rig.
    layers : tuple of LayerStatus
        Triggered expressions playing now, oldest first.
    frozen : bool
        Whether the output is held.
    pending : str or None
        A key waiting for its second key (``"M"`` waits for a digit).
    last_action : str
        What the last hotkey did (empty before the first).
    rate : float
        Output frames per second over the last second.
    latency : float
        Seconds from the frame's capture to the end of sending it.
    """

    index: int
    time: float
    image: NDArray[np.uint8] | None
    landmarks: FloatArray | None
    face_found: bool
    calibrating: bool
    tracked: FloatArray
    au: FloatArray
    weights: FloatArray
    layers: tuple[LayerStatus, ...]
    frozen: bool
    pending: str | None
    last_action: str
    rate: float
    latency: float


class PuppetController:
    """Track, layer hotkey expressions, stream: the puppeteering loop without a window.

    Parameters
    ----------
    tracker : FaceTracker
        The face tracker (its backend stays open; the caller closes it).
    routes : sequence of Route
        Destinations; every output frame goes to each. :meth:`close` sends them a neutral frame.
    rig : Rig
        The rig whose weights :class:`PuppetState` reports (what the view's bars show).
    mixer : Mixer, optional
        Layers hotkey and control-triggered expressions on the tracked face.
    control : ControlListener, optional
        Control input (``/avatardrive/emotion`` ...), polled on every frame.
    clock : callable returning seconds
        Monotonic clock for latency and rate (``time.perf_counter``).

    Examples
    --------
    >>> controller = PuppetController(tracker, routes, rig=load_rig("arkit52"))
    >>> controller.key("1", shift=True)          # a posed smile, from the next frame on
    'happiness (posed)'
    >>> state = controller.step(frame)           # tracked + layered, sent to every route
    """

    def __init__(
        self,
        tracker: FaceTracker,
        routes: Sequence[Route],
        *,
        rig: Rig,
        mixer: Mixer | None = None,
        control: ControlListener | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.tracker = tracker
        self.routes = list(routes)
        self.rig = rig
        self.mixer = mixer or Mixer()
        self._step = FrameStep(self.routes, mixer=self.mixer, control=control,
                               on_calibrate=tracker.recalibrate)  # fmt: skip
        self._clock = clock
        self._mixed = np.zeros(N_CHANNELS, dtype=np.float32)
        self._held: FloatArray | None = None
        self._first_time: float | None = None
        self._labels: dict[int, str] = {}
        self._sent_times: deque[float] = deque()
        self.frames = 0
        """Output frames sent so far."""
        self.now = 0.0
        """Stream time of the last frame (hotkeys trigger at this time)."""
        self.pending: str | None = None
        """A key waiting for its second key: ``"M"`` (micro) waits for a digit."""
        self.last_action = ""
        """What the last hotkey did."""
        self.quit_requested = False
        """Set by Escape: the view should close."""

    # -- hotkeys ----------------------------------------------------------------------------

    @property
    def frozen(self) -> bool:
        """Whether the output frame is held (Space)."""
        return self._held is not None

    def key(self, name: str, *, shift: bool = False) -> str | None:
        """Handle one hotkey; return what it did, or ``None`` for a key without a meaning.

        Parameters
        ----------
        name : str
            ``"1"`` ... ``"9"``, a letter (any case), ``"Space"`` or ``"Escape"``.
        shift : bool
            Shift was held (digits: posed style).
        """
        key = _KEY_ALIASES.get(name.lower(), name.upper() if len(name) == 1 else name)
        pending, self.pending = self.pending, None
        if pending == "M" and key in EMOTION_KEYS:
            return self._act(self._trigger(EMOTION_KEYS[key], micro=True))
        action = self._dispatch(key, shift=shift)
        return None if action is None else self._act(action)

    def _dispatch(self, key: str, *, shift: bool) -> str | None:
        if key in EMOTION_KEYS:
            return self._trigger(EMOTION_KEYS[key], posed=shift)
        if key == "M":
            self.pending = "M"
            return "micro-expression: press 1–7"
        if key == "B":
            event = self.mixer.trigger_aus({"AU45": 1.0}, now=self.now, duration=BLINK_SECONDS)
            self._labels[event.index] = "blink"
            return "blink"
        if key == "C":
            self.tracker.recalibrate()
            return "calibrating the neutral: hold a rest face"
        if key == "Space":
            return self._toggle_freeze()
        if key == "Escape":
            self.quit_requested = True
            return "quit"
        return None

    def _act(self, action: str) -> str:
        self.last_action = action
        return action

    def _trigger(self, emotion: str, *, posed: bool = False, micro: bool = False) -> str:
        style = "posed" if posed else "spontaneous"
        event = self.mixer.trigger_emotion(emotion, now=self.now, micro=micro, style=style)
        label = f"micro {emotion}" if micro else f"{emotion} ({style})"
        self._labels[event.index] = label
        return label

    def _toggle_freeze(self) -> str:
        if self._held is None:
            self._held = self._mixed.copy()
            return "frozen: holding the output frame"
        self._held = None
        return "live"

    # -- the loop ---------------------------------------------------------------------------

    def step(self, frame: VideoFrame, *, captured: float | None = None) -> PuppetState:
        """Track ``frame``, mix the layers on top, send the result to every route.

        Parameters
        ----------
        frame : VideoFrame
            The next input frame.
        captured : float, optional
            When the frame was captured, on the controller's clock (default: now). The reported
            latency runs from here to the end of sending.

        Returns
        -------
        PuppetState
        """
        captured = self._clock() if captured is None else captured
        result = self.tracker.update(frame)
        if self._first_time is None:
            self._first_time = frame.time
        self.now = frame.time - self._first_time
        mixed = self._step.mix(result.au, time=self.now)
        self._mixed[:] = mixed
        out = mixed if self._held is None else self._held
        self._step.send(out, index=self.frames, time=self.now)
        sent = self._clock()
        self.frames += 1
        return self._state(frame, result, out, latency=sent - captured, rate=self._rate(sent))

    def _rate(self, sent: float) -> float:
        times = self._sent_times
        times.append(sent)
        while times[0] < sent - _RATE_WINDOW:
            times.popleft()
        span = times[-1] - times[0]
        return (len(times) - 1) / span if span > 0 else 0.0

    def _state(
        self, frame: VideoFrame, result: TrackResult, out: FloatArray, *, latency: float,
        rate: float,
    ) -> PuppetState:
        weights = np.empty(len(self.rig.shape_names), dtype=np.float32)
        self.rig.forward_frame(out, out=weights)
        return PuppetState(
            index=self.frames - 1,
            time=self.now,
            image=frame.image,
            landmarks=result.landmarks,
            face_found=result.face_found,
            calibrating=self.tracker.calibrating,
            tracked=result.au,
            au=out.copy(),
            weights=weights,
            layers=self.layers(),
            frozen=self.frozen,
            pending=self.pending,
            last_action=self.last_action,
            rate=rate,
            latency=latency,
        )

    def layers(self) -> tuple[LayerStatus, ...]:
        """The triggered expressions playing at the last frame's time, oldest first."""
        playing = self.mixer.layers
        alive = {layer.event.index for layer in playing}
        for index in [i for i in self._labels if i not in alive]:
            del self._labels[index]
        return tuple(
            LayerStatus(self._labels.get(layer.event.index, layer.event.name),
                        max(_layer_end(layer) - self.now, 0.0))
            for layer in playing
        )  # fmt: skip

    def close(self) -> None:
        """Send every route a neutral frame, so avatars return to rest (once)."""
        self._step.end(index=self.frames, time=self.now)


def _layer_end(layer: Layer) -> float:
    if layer.released_at is not None:
        return min(layer.event.end, layer.released_at + Mixer.RELEASE)
    return layer.event.end
