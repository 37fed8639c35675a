"""Live puppeteering (``puppet``) and the monitor view (``monitor --plot``).

The controller, the frame pump and the view data are tested without Qt, on a scripted tracker.
The windows need the ``gui`` extra (pyqtgraph + PySide6); those tests are skipped without it,
unless ``CI=true``, where they fail. Qt runs off screen (``QT_QPA_PLATFORM=offscreen``, set
before any Qt import); the event loop is driven with ``processEvents`` under hard deadlines, or
by the command itself with a watchdog timer. Streams go to real UDP receivers (python-osc's
server, the transport's StreamMonitor); every socket is closed.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import math
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from conftest import run_cli
from pythonosc.osc_bundle import OscBundle
from pythonosc.osc_bundle_builder import IMMEDIATELY, OscBundleBuilder
from pythonosc.osc_message_builder import OscMessageBuilder
from pythonosc.udp_client import SimpleUDPClient
from receivers import osc_receiver, values_of, wait_for

from avatardrive.cli import _cmd_puppet
from avatardrive.errors import TrackingError
from avatardrive.facs import N_CHANNELS, channel_index, channels_of
from avatardrive.pipeline import (
    BLINK_SECONDS,
    EMOTION_KEYS,
    FramePump,
    PuppetController,
    PuppetState,
    Route,
)
from avatardrive.retarget import load_rig
from avatardrive.tracking import FrameSource, TrackResult, VideoFrame
from avatardrive.transport import MemorySink, StreamMonitor
from avatardrive.views._monitor_view import MonitorHistory
from avatardrive.views._plot_qt import INSTALL_HINT, Qt
from avatardrive.views._puppet_model import (
    History,
    LineSlots,
    flags_text,
    key_name,
    mark_points,
    status_text,
    top_bars,
)
from avatardrive.views._puppet_plots import short_name

FPS = 30.0
ARKIT = load_rig("arkit52")
PREFIX = "/avatardrive/"


# -- helpers -------------------------------------------------------------------------------------


class ScriptedTracker:
    """A tracker whose output the test sets; ``recalibrate`` captures for ``capture`` frames."""

    def __init__(self, *, capture: int = 3) -> None:
        self.au = np.zeros(N_CHANNELS, np.float32)
        self.capture = capture
        self.recalibrations = 0
        self._left = 0

    @property
    def calibrating(self) -> bool:
        return self._left > 0

    def recalibrate(self, seconds: float | None = None) -> None:
        self.recalibrations += 1
        self._left = self.capture

    def update(self, frame: VideoFrame) -> TrackResult:
        self._left = max(self._left - 1, 0)
        return TrackResult(frame.time, self.au.copy(), np.zeros(3, np.float32), True)


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class ListSource(FrameSource):
    """Frames at 30 fps without images, as many as asked."""

    def __init__(self, count: int) -> None:
        super().__init__("test frames", mirrored=False, fps=FPS)
        self.count = count

    def _do_open(self) -> None:
        pass

    def _do_read(self) -> VideoFrame | None:
        if self.frame_index >= self.count:
            return None
        return VideoFrame(self.frame_index, self.frame_index / FPS)


def frames(count: int, *, start: float = 5.0) -> list[VideoFrame]:
    return [VideoFrame(i, start + i / FPS) for i in range(count)]


def controller(tracker: ScriptedTracker | None = None, **options: Any) -> PuppetController:
    route = Route("memory", ARKIT, MemorySink())
    return PuppetController(tracker or ScriptedTracker(), [route], rig=ARKIT, **options)


def sent(puppet: PuppetController) -> np.ndarray:
    sink = puppet.routes[0].sink
    assert isinstance(sink, MemorySink)
    return sink.values()


def shape(name: str) -> int:
    return ARKIT.shape_names.index(name)


# -- the controller, without Qt ------------------------------------------------------------------


@pytest.mark.parametrize(("key", "emotion"), sorted(EMOTION_KEYS.items()))
def test_digits_trigger_the_basic_emotions(key: str, emotion: str) -> None:
    puppet = controller()
    assert puppet.key(key) == f"{emotion} (spontaneous)"
    assert [layer.event.name for layer in puppet.mixer.layers] == [emotion]
    assert [layer.label for layer in puppet.layers()] == [f"{emotion} (spontaneous)"]


def test_shift_digit_is_the_posed_style() -> None:
    puppet = controller()
    assert puppet.key("1", shift=True) == "happiness (posed)"
    puppet.key("1")
    posed, spontaneous = (layer.event for layer in puppet.mixer.layers)
    assert posed.onsets.max() < spontaneous.onsets.max()  # posed onsets are quicker
    assert [layer.label for layer in puppet.layers()] == [
        "happiness (posed)",
        "happiness (spontaneous)",
    ]


def test_m_then_digit_is_a_micro_expression() -> None:
    puppet = controller()
    assert puppet.key("m") == "micro-expression: press 1–7"
    assert puppet.pending == "M" and not puppet.mixer.layers
    assert puppet.key("4") == "micro fear"
    assert puppet.pending is None
    (layer,) = puppet.mixer.layers
    assert layer.event.micro and layer.event.end - layer.event.start < 0.5
    assert layer.event.amplitudes.max() <= 0.5


def test_m_then_another_key_cancels_the_micro_and_acts() -> None:
    puppet = controller()
    puppet.key("M")
    assert puppet.key("B") == "blink" and puppet.pending is None
    assert puppet.key("9") is None and not any(layer.event.micro for layer in puppet.mixer.layers)


def test_b_blinks_both_eyes_for_a_quarter_second() -> None:
    puppet = controller()
    for frame in frames(3):
        puppet.step(frame)
    puppet.key("b")
    (layer,) = puppet.mixer.layers
    assert sorted(layer.event.channels) == sorted(channels_of(45))
    assert layer.event.start == pytest.approx(2 / FPS)  # at the last frame's stream time
    assert layer.event.end - layer.event.start == pytest.approx(BLINK_SECONDS)
    later = frames(12, start=5.0 + 3 / FPS)
    blink = [puppet.step(frame).au[channel_index("AU45_L")] for frame in later]
    assert max(blink) > 0.9 and blink[-1] == 0.0


def test_c_recalibrates_the_tracker() -> None:
    tracker = ScriptedTracker(capture=2)
    puppet = controller(tracker)
    assert puppet.key("C") == "calibrating the neutral: hold a rest face"
    assert tracker.recalibrations == 1 and tracker.calibrating
    states = [puppet.step(frame) for frame in frames(3)]
    assert [s.calibrating for s in states] == [True, False, False]


def test_space_freezes_the_output_and_again_lets_it_go() -> None:
    tracker = ScriptedTracker()
    puppet = controller(tracker)
    smile = channel_index("AU12_L")
    for i, frame in enumerate(frames(30)):
        tracker.au[smile] = i / 30  # the tracked face keeps moving
        if i == 10:
            assert puppet.key("Space") == "frozen: holding the output frame" and puppet.frozen
        if i == 20:
            assert puppet.key(" ") == "live" and not puppet.frozen
        state = puppet.step(frame)
        assert state.frozen == (10 <= i < 20)
    weights = sent(puppet)
    assert (weights[10:20] == weights[9]).all()  # held: the frame before the key, exactly
    assert (np.diff(weights[:10, shape("mouthSmileLeft")]) > 0).all()
    assert (np.diff(weights[20:, shape("mouthSmileLeft")]) > 0).all()


def test_freeze_holds_triggered_layers_too() -> None:
    puppet = controller()
    puppet.step(frames(1)[0])
    puppet.key("Space")
    puppet.key("3")
    for frame in frames(20, start=5.1):
        assert not puppet.step(frame).au.any()  # the held frame: neutral
    assert [layer.label for layer in puppet.layers()] == ["surprise (spontaneous)"]


def test_escape_asks_to_quit_and_other_keys_do_nothing() -> None:
    puppet = controller()
    assert puppet.key("F1") is None and puppet.key("x") is None and puppet.key("0") is None
    assert not puppet.mixer.layers and puppet.last_action == ""
    assert puppet.key("Escape") == "quit" and puppet.quit_requested


def test_layers_list_labels_and_the_time_left() -> None:
    puppet = controller()
    puppet.step(frames(1)[0])
    puppet.key("1")
    puppet.key("M")
    puppet.key("7")
    first = puppet.step(frames(2)[1]).layers
    assert [layer.label for layer in first] == ["happiness (spontaneous)", "micro contempt"]
    later = [puppet.step(frame) for frame in frames(15, start=5.0 + 2 / FPS)][-1].layers
    assert [layer.label for layer in later] == ["happiness (spontaneous)"]  # the micro is over
    assert 0.0 < later[0].remaining < first[0].remaining


def test_step_streams_the_tracked_face_with_the_layers_on_top() -> None:
    tracker = ScriptedTracker()
    tracker.au[channel_index("AU1_L")] = 0.4  # tracked: inner brow
    tracker.au[channel_index("AU12_L")] = 0.2  # tracked: a little smile
    puppet = controller(tracker)
    puppet.step(frames(1)[0])
    puppet.key("1", shift=True)
    states = [puppet.step(frame) for frame in frames(40, start=5.0 + 1 / FPS)]
    au = np.array([s.au for s in states])
    assert (au >= np.array([s.tracked for s in states]) - 1e-6).all()  # the maximum of both
    assert au[:, channel_index("AU1_L")].min() == pytest.approx(0.4)  # tracked stays
    assert au[:, channel_index("AU12_L")].max() > 0.8  # the posed smile rises above it
    weights = sent(puppet)
    assert weights.shape == (41, 52)
    assert [f.index for f in puppet.routes[0].sink.frames] == list(range(41))  # type: ignore[attr-defined]
    assert states[-1].time == pytest.approx(40 / FPS)  # stream time from the first frame
    assert np.allclose(weights[-1], states[-1].weights)


def test_latency_and_rate_come_from_the_clock() -> None:
    clock = FakeClock()
    puppet = controller(clock=clock)
    for frame in frames(31):
        clock.now += 1 / FPS
        state = puppet.step(frame, captured=clock.now - 0.012)
    assert state.latency == pytest.approx(0.012)
    assert state.rate == pytest.approx(FPS)
    assert "30.0 fps" in status_text(state) and "latency 12.0 ms" in status_text(state)


def test_close_sends_one_neutral_frame() -> None:
    tracker = ScriptedTracker()
    tracker.au[:] = 0.5
    puppet = controller(tracker)
    for frame in frames(3):
        puppet.step(frame)
    puppet.close()
    puppet.close()
    weights = sent(puppet)
    assert len(weights) == 4 and weights[-1].max() == 0.0 and weights[-2].max() > 0.1


def test_flags_name_frozen_calibrating_and_no_face() -> None:
    puppet = controller()
    state = puppet.step(frames(1)[0])
    assert flags_text(state) == ""
    odd = PuppetState(**{**state.__dict__, "frozen": True, "calibrating": True,
                         "face_found": False})  # fmt: skip
    assert flags_text(odd) == "FROZEN (Space: live) · calibrating: hold a rest face · no face"


# -- the frame pump ------------------------------------------------------------------------------


def test_pump_replays_at_the_recorded_timing() -> None:
    clock = FakeClock()
    pump = FramePump(ListSource(3).open(), realtime=True, clock=clock)
    assert pump.wait() == 0.0
    first = pump.take()
    assert first is not None and first.captured == clock.now
    assert pump.next_due() == pytest.approx(clock.now + 1 / FPS)  # estimated, not read
    assert pump.take() is None and pump.wait() == pytest.approx(1 / FPS)
    clock.now += 0.5  # late: the frame is handed out late, counted from when it was due
    second = pump.take()
    assert second is not None and second.frame.index == 1
    assert second.captured == pytest.approx(100.0 + 1 / FPS)
    assert pump.take() is not None and pump.take() is None and pump.ended


def test_pump_hands_out_at_once_without_realtime_and_stops_at_max_frames() -> None:
    pump = FramePump(ListSource(10).open(), realtime=False, max_frames=4)
    taken = []
    while (captured := pump.take()) is not None:
        taken.append(captured.frame.index)
    assert taken == [0, 1, 2, 3] and pump.ended and pump.next_due() is None


# -- view data, without Qt -----------------------------------------------------------------------


def test_history_keeps_the_latest_rows_contiguous() -> None:
    history = History(4, columns=2)
    assert history.times().shape == (0,) and history.values().shape == (0, 2)
    for t in range(7):
        history.push(float(t), [t, 10 * t])
        assert history.values().flags["C_CONTIGUOUS"]
    assert history.times().tolist() == [3.0, 4.0, 5.0, 6.0]
    assert history.values()[:, 1].tolist() == [30.0, 40.0, 50.0, 60.0]
    assert history.since(4.5) == 2
    history.widen(3, fill=math.nan)
    assert history.values().shape == (4, 3) and np.isnan(history.values()[:, 2]).all()


def test_line_slots_keep_their_series_while_active() -> None:
    slots = LineSlots(2, threshold=0.1, evict=2.0)
    assert slots.update([0.0, 0.5, 0.3, 0.2]) and slots.assigned == [1, 2]
    assert not slots.update([0.0, 0.2, 0.3, 0.35])  # 3 is most active now, not twice as much
    assert slots.update([0.0, 0.05, 0.3, 0.35]) and slots.assigned == [3, 2]  # 1 went quiet
    assert not slots.update([0.0, 0.05, 0.3, 0.35])
    assert slots.update([0.9, 0.0, 0.3, 0.35]) and slots.assigned == [3, 0]  # 0 is strong: in
    assert slots.update([0.0, 0.0, 0.0, 0.0]) and slots.assigned == [None, None]


def test_mark_points_paints_squares_inside_the_image() -> None:
    image = np.zeros((20, 30, 3), np.uint8)
    mark_points(image, [[5.2, 4.8], [29.0, 19.0], [-3.0, 5.0], [40.0, 2.0]], size=3,
                color=(1, 2, 3))  # fmt: skip
    painted = np.argwhere(image.any(axis=-1))
    assert {tuple(p) for p in painted} >= {(4, 4), (5, 5), (6, 6), (19, 29), (18, 28)}
    assert len(painted) == 9 + 4  # a whole square, a corner one clipped; outside points skipped
    assert (image[5, 5] == (1, 2, 3)).all()


def test_top_bars_rank_by_distance_from_rest() -> None:
    values = [0.1, 0.9, 0.0, 0.5, 1.0]
    assert top_bars(values, top=3) == [4, 1, 3]
    assert top_bars(values, rest=[0, 0, 0, 0, 1.0], top=9) == [1, 3, 0]
    assert top_bars(values, top=9, floor=0.2) == [4, 1, 3]
    assert top_bars([0.0, 0.0], top=2, floor=-math.inf) == [0, 1]


def test_top_bars_keep_their_order_within_a_band() -> None:
    assert top_bars([0.50, 0.52, 0.1], top=3) == [1, 0, 2]
    assert top_bars([0.50, 0.52, 0.1], top=3, previous=[0, 1, 2], step=0.05) == [0, 1, 2]
    assert top_bars([0.50, 0.58, 0.1], top=3, previous=[0, 1, 2], step=0.05) == [1, 0, 2]
    assert top_bars([0.1, 0.2, 0.3, 0.9], top=2, previous=[0, 1], step=0.05) == [3, 2]


@pytest.mark.parametrize(
    ("code", "text", "shift", "expected"),
    [
        (ord("1"), "1", False, ("1", False)),
        (ord("1"), "1", True, ("1", True)),  # QTest, keypads: the digit with Shift held
        (ord("!"), "!", True, ("1", True)),  # a US keyboard: Shift+1 arrives as "!"
        (ord("&"), "&", True, ("7", True)),
        (ord("M"), "m", False, ("M", False)),
        (0x20, " ", False, ("Space", False)),
        (0x01000000, "\x1b", False, ("Escape", False)),
        (0x01000020, "", True, None),  # Shift alone
        (0x01000030, "", False, None),  # F1
    ],
)
def test_qt_keys_become_controller_keys(
    code: int, text: str, shift: bool, expected: tuple[str, bool] | None
) -> None:
    assert key_name(code, text, shift=shift) == expected


def test_monitor_history_adds_keys_as_they_come() -> None:
    samples = MonitorHistory(span=1.0, rate=10.0)
    for i in range(20):
        values = {"a": i / 20} if i < 5 else {"a": 0.25, "b": 1.0 - i / 20}
        samples.sample(i / 10, values)
    times, values = samples.window(1.9)
    assert samples.keys == ["a", "b"] and values.shape == (len(times), 2)
    assert times[0] >= -1.0 and times[-1] == 0.0
    activity = samples.activity(values)
    assert activity[0] == 0.0 and activity[1] == pytest.approx(0.5)  # 0.55 to 0.05
    for i in range(200):  # many keys: the buffer widens
        samples.sample(2.0 + i / 100, {f"k{i}": 1.0})
    assert len(samples.keys) == 202 and samples.window(3.99)[1].shape[1] == 202


@pytest.mark.parametrize(
    ("key", "short"),
    [("/avatar/parameters/FT/v2/JawOpen", "JawOpen"), ("jawOpen", "jawOpen"),
     ("/avatardrive/au/AU12_L", "AU12_L"), ("x" * 40, "…" + "x" * 25)],
)  # fmt: skip
def test_short_names(key: str, short: str) -> None:
    assert short_name(key) == short


# -- Qt ------------------------------------------------------------------------------------------


def spin(qt: Qt, until: Callable[[], bool], *, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not until():
        assert time.monotonic() < deadline, "timed out waiting for Qt"
        qt.widgets.QApplication.processEvents()
        time.sleep(0.001)


@pytest.fixture(scope="module")
def neutral_video(astronaut: np.ndarray, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """100 frames (3.3 s at 30 fps) of the astronaut's rest face, MJPG."""
    cv2 = pytest.importorskip("cv2")
    pytest.importorskip("mediapipe")
    path = tmp_path_factory.mktemp("puppet") / "neutral.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), FPS, (256, 256))
    bgr = cv2.cvtColor(astronaut, cv2.COLOR_RGB2BGR)
    for _ in range(100):
        writer.write(bgr)
    writer.release()
    return path


def puppet_args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    _cmd_puppet.register(parser.add_subparsers())
    return parser.parse_args(["puppet", *argv])


def post_key(qt: Qt, window: Any, key: Any, *, shift: bool = False, text: str = "") -> None:
    modifiers = qt.core.Qt.KeyboardModifier
    held = modifiers.ShiftModifier if shift else modifiers.NoModifier
    event = qt.gui.QKeyEvent(qt.core.QEvent.Type.KeyPress, key, held, text)
    qt.widgets.QApplication.postEvent(window, event)


def test_window_streams_hotkeys_layered_on_the_tracked_face(
    qt: Qt, neutral_video: Path
) -> None:
    from avatardrive.views._puppet_window import PuppetWindow

    key = qt.core.Qt.Key
    schedule = {4: [key.Key_1], 40: [key.Key_B], 48: [key.Key_C], 58: [key.Key_Space],
                66: [key.Key_Space], 80: [key.Key_M, key.Key_4]}  # fmt: skip
    states: list[PuppetState] = []
    events: dict[str, Any] = {}
    seen_calibrating: list[bool] = []
    panel: list[str] = []
    out = io.StringIO()
    with osc_receiver() as (port, received):
        args = puppet_args("--video", str(neutral_video), "--calibrate-seconds", "0.2",
                           "--to", f"osc://127.0.0.1:{port}?rig=arkit52")  # fmt: skip
        with _cmd_puppet.puppet_session(args, out) as (puppet, pump, title):
            window = PuppetWindow(qt, puppet, pump, size=(1100, 700), title=title)

            def on_state(state: PuppetState) -> None:
                states.append(state)
                seen_calibrating.append(puppet.tracker.calibrating)
                for status, layer in zip(puppet.layers(), puppet.mixer.layers, strict=True):
                    events.setdefault(status.label, layer.event)
                if state.index == 5:  # key 1 was handled after frame 4: the panel shows it
                    panel.append(window.layers.text())
                for pressed in schedule.get(state.index, []):
                    post_key(qt, window.window, pressed)

            window.on_state = on_state
            try:
                window.start()
                spin(qt, lambda: window.done, seconds=30.0)
            finally:
                window.finish()
        assert wait_for(lambda: len(values_of(received, PREFIX + "mouthSmileLeft")) >= 101)
    assert "calibrating the neutral on the first 0.2 s" in out.getvalue()
    assert window.error is None and len(states) == 100 and window.stats.frames == 100
    names = ARKIT.shape_names
    stream = np.array([values_of(received, PREFIX + name) for name in names]).T  # (frames, shapes)
    assert stream.shape == (101, 52) and not stream[-1].any()  # and a neutral frame at the end
    tracked = np.array([ARKIT.forward_frame(s.tracked) for s in states])
    assert np.allclose(stream[:100], [s.weights for s in states], atol=1e-6)
    assert (stream[:100] >= tracked - 1e-6).all()  # layers only add to the tracked face
    times = np.array([s.time for s in states])

    # key 1: a spontaneous smile rises above the tracked face within its onset, then fades
    smile = events["happiness (spontaneous)"]
    assert smile.start == pytest.approx(times[4])
    lift = stream[:100, shape("mouthSmileLeft")] - tracked[:, shape("mouthSmileLeft")]
    risen = int(np.argmax(lift > 0.4))
    assert risen > 4 and times[risen] <= smile.start + (smile.delays + smile.onsets).max() + 1 / FPS
    after = times >= smile.end + 1 / FPS
    assert after.sum() > 5 and np.abs(lift[after]).max() < 0.02

    # B: both eyes close for about a quarter second
    blink = stream[41:41 + round(BLINK_SECONDS * FPS) + 2, [shape("eyeBlinkLeft"),
                                                           shape("eyeBlinkRight")]]  # fmt: skip
    assert (blink.max(axis=0) > 0.9).all() and (blink[-1] < 0.1).all()
    assert stream[10:41, shape("eyeBlinkLeft")].max() < 0.3

    # C: the tracker captures a new neutral from frame 49 on
    assert not any(seen_calibrating[10:49]) and seen_calibrating[49]
    assert states[49].calibrating and not states[70].calibrating

    # Space during the smile's offset: frames 59-66 hold frame 58 exactly; 67 moves on
    frozen = [s.index for s in states if s.frozen]
    assert frozen == list(range(59, 67))
    assert (stream[59:67] == stream[58]).all() and (stream[67] != stream[58]).any()

    # M, 4: a micro fear shows briefly (under half a second) and is gone by the end
    micro = events["micro fear"]
    assert micro.start == pytest.approx(times[80])
    brows = stream[:100, shape("browInnerUp")] - tracked[:, shape("browInnerUp")]
    shown = np.flatnonzero(brows > 0.05)
    assert shown.size and shown[0] >= 81 and shown[-1] <= 80 + 0.5 * FPS
    assert brows[95:].max() < 0.02

    # the window showed the layers; its curves and bars drew from the stream
    assert "happiness (spontaneous)" in panel[0] and "s</span>" in panel[0]  # with time left
    assert 10 <= window.stats.draws <= 100
    labels = window.curves.lines.labels
    slot = next(i for i, label in enumerate(labels) if label and label.startswith("AU12 "))
    x, y = window.curves.lines.lines[slot][0].getData()
    assert y.max() == pytest.approx(max(s.au[channel_index("AU12_L")] for s in states), abs=1e-6)
    assert x.max() <= 0.0 and x.min() >= -10.0


def test_hotkeys_show_in_the_layers_panel_at_once(qt: Qt) -> None:
    from avatardrive.views._puppet_window import PuppetWindow

    puppet = controller()
    window = PuppetWindow(qt, puppet, FramePump(ListSource(300).open(), realtime=True),
                          size=(1000, 650))  # fmt: skip
    key = qt.core.Qt.Key
    try:
        window.start()
        spin(qt, lambda: window.stats.frames >= 3, seconds=10.0)
        post_key(qt, window.window, key.Key_3, shift=True)
        post_key(qt, window.window, key.Key_M)
        spin(qt, lambda: "posed" in window.layers.text(), seconds=5.0)
        assert "surprise (posed)" in window.layers.text()
        assert "press 1–7" in window.layers.text()  # M waits for its digit
        post_key(qt, window.window, key.Key_Exclam, shift=True, text="!")  # US Shift+1
        spin(qt, lambda: len(puppet.mixer.layers) == 2, seconds=5.0)
        assert puppet.layers()[-1].label == "micro happiness"
        post_key(qt, window.window, key.Key_Escape)
        spin(qt, lambda: window.done, seconds=5.0)
        assert puppet.quit_requested and not window.window.isVisible()
        assert window.stats.frames < 300
    finally:
        window.finish()


def test_puppet_command_streams_until_escape_then_sends_a_neutral_frame(
    qt: Qt, neutral_video: Path
) -> None:
    widgets = qt.widgets
    pressed: list[int] = []
    watchdog_fired: list[bool] = []
    with osc_receiver() as (port, received):

        def smiles() -> list[float]:
            return values_of(received, PREFIX + "mouthSmileLeft")

        def press_escape_after_50_frames() -> None:
            windows = [w for w in widgets.QApplication.topLevelWidgets()
                       if w.objectName() == "avatardrive-puppet" and w.isVisible()]  # fmt: skip
            if windows and len(smiles()) >= 50 and not pressed:
                pressed.append(len(smiles()))
                qt.widgets.QApplication.postEvent(windows[0], qt.gui.QKeyEvent(
                    qt.core.QEvent.Type.KeyPress, qt.core.Qt.Key.Key_Escape,
                    qt.core.Qt.KeyboardModifier.NoModifier))  # fmt: skip

        def watchdog() -> None:  # never hang: close whatever is open
            watchdog_fired.append(True)
            for w in widgets.QApplication.topLevelWidgets():
                if w.objectName() == "avatardrive-puppet":
                    w.close()
            widgets.QApplication.quit()

        poll = qt.core.QTimer()
        poll.timeout.connect(press_escape_after_50_frames)
        poll.start(2)
        guard = qt.core.QTimer()
        guard.setSingleShot(True)
        guard.timeout.connect(watchdog)
        guard.start(60_000)
        try:
            url = f"osc://127.0.0.1:{port}?rig=arkit52"
            code, out, err = run_cli("puppet", "--video", str(neutral_video), "--to", url,
                                 "--no-calibrate")  # fmt: skip
        finally:
            poll.stop()
            guard.stop()
        assert not watchdog_fired and code == 0, err
        frames_sent = int(out.split("puppeteered ")[1].split(" ")[0])
        assert wait_for(lambda: len(smiles()) >= frames_sent + 1)
    assert 50 <= frames_sent <= pressed[0] + 2 < 100  # Escape stopped it early
    assert "avatardrive puppet — " in out and f"127.0.0.1:{port}" in out
    assert "sent a neutral frame" in out
    addresses = {address for address, _ in received}
    last = [values_of(received, address)[frames_sent] for address in addresses]
    assert len(last) == 52 and max(last) == 0.0


@pytest.mark.parametrize(
    "argv",
    [["puppet", "--video", "no-such-video.avi"], ["monitor", "--plot", "--seconds", "0.1"]],
)
@pytest.mark.parametrize("missing", ["pyqtgraph", "pyqtgraph.Qt"])
def test_missing_gui_extra_says_how_to_install(
    monkeypatch: pytest.MonkeyPatch, argv: list[str], missing: str
) -> None:
    monkeypatch.setitem(sys.modules, missing, None)  # makes `import` raise ImportError
    code, out, err = run_cli(*argv)
    assert code == 2 and err.count("\n") == 1 and err.startswith("avatardrive: error: ")
    assert INSTALL_HINT in err and "no-such-video" not in err  # said before opening anything
    assert "listening" not in out


@pytest.mark.parametrize("argv", [["puppet", "--video", "x.avi"], ["monitor", "--plot"]])
def test_no_display_says_so(
    qt: Qt, monkeypatch: pytest.MonkeyPatch, argv: list[str]
) -> None:
    for name in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    code, out, err = run_cli(*argv)
    assert code == 2 and err.count("\n") == 1 and out == ""
    assert "no display" in err and "DISPLAY" in err and "QT_QPA_PLATFORM=offscreen" in err


def test_without_a_camera_the_default_says_what_else_to_give(
    qt: Qt, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_camera(args: argparse.Namespace) -> FrameSource:
        assert args.camera == 0  # webcam 0 by default
        raise TrackingError("no camera at index 0", source="webcam 0")

    monkeypatch.setattr(_cmd_puppet, "open_source", no_camera)
    code, _, err = run_cli("puppet")
    assert code == 2 and err.count("\n") == 1
    assert "webcam 0: no camera at index 0; without a camera, give --video FILE" in err


def test_puppet_and_monitor_help_stay_free_of_qt() -> None:
    code = (
        "import io, sys\n"
        "from avatardrive.cli._main import main\n"
        "for argv in (['puppet', '--help'], ['monitor', '--help']):\n"
        "    try:\n"
        "        main(argv, stdout=io.StringIO())\n"
        "    except SystemExit:\n"
        "        pass\n"
        "heavy = [m for m in ('PySide6', 'PyQt6', 'pyqtgraph', 'mediapipe') if m in sys.modules]\n"
        "print('loaded:', heavy)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, check=False)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "usage: avatardrive puppet" in result.stdout and "--plot" in result.stdout
    text = " ".join(result.stdout.split())
    assert "Shift: posed" in text and "M then 1-7 a micro" in text and "Esc quit" in text
    assert result.stdout.strip().splitlines()[-1] == "loaded: []"


# -- the monitor view ----------------------------------------------------------------------------


def vmc_bundle(values: dict[str, float]) -> OscBundle:
    """One VMC frame: a value message per shape, then Apply (built by python-osc)."""
    bundle = OscBundleBuilder(IMMEDIATELY)
    for name, value in values.items():
        message = OscMessageBuilder("/VMC/Ext/Blend/Val")
        message.add_arg(name)
        message.add_arg(float(value))
        bundle.add_content(message.build())
    bundle.add_content(OscMessageBuilder("/VMC/Ext/Blend/Apply").build())
    return bundle.build()


class _Finish:
    """``contextlib.closing`` for a window: ``close()`` finishes it."""

    def __init__(self, window: Any) -> None:
        self.window = window

    def close(self) -> None:
        self.window.finish()


def test_monitor_view_shows_what_a_python_osc_sender_sends(qt: Qt) -> None:
    from avatardrive.views._monitor_view import MonitorWindow

    with StreamMonitor(0) as monitor:
        port = monitor.address[1]
        client = SimpleUDPClient("127.0.0.1", port)
        view = MonitorWindow(qt, monitor, top=3, lines=2, interval_ms=10_000)
        with contextlib.closing(client), contextlib.closing(_Finish(view)):
            view.start()
            assert "waiting for frames" in view.window.windowTitle()
            for i in range(30):  # jawOpen ramps up, the others hold still
                client.send(vmc_bundle({"jawOpen": i / 29, "eyeBlinkLeft": 0.25,
                                        "mouthSmileLeft": 0.75, "cheekPuff": 0.1}))  # fmt: skip
                client.send_message("/avatar/parameters/FT/v2/BrowUp", 0.5 - i / 60)
                sent = 6 * (i + 1)  # five messages in the bundle, and the plain one
                assert wait_for(lambda n=sent: monitor.snapshot().messages >= n, timeout=5.0)
                view.refresh()
            qt.widgets.QApplication.processEvents()
            assert view.bars.names == ("jawOpen", "mouthSmileLeft", "eyeBlinkLeft")
            assert view.bars.values == pytest.approx([1.0, 0.75, 0.25])
            assert view.lines.labels == ["jawOpen", "BrowUp"]  # the two that move
            _, jaw = view.lines.lines[0][0].getData()
            assert jaw[-1] == pytest.approx(1.0)
            assert jaw[np.isfinite(jaw)].min() == pytest.approx(0.0)
            _, brow = view.lines.lines[1][0].getData()
            assert brow[-1] == pytest.approx(0.5 - 29 / 60)
            title = view.window.windowTitle()
            assert f"127.0.0.1:{port}" in title and "fps" in title and "max gap" in title
            assert "frames 30" in view.window.statusBar().currentMessage()


def test_monitor_plot_command_runs_until_seconds_and_reports(qt: Qt) -> None:
    probe = StreamMonitor(0)
    port = probe.address[1]
    probe.close()
    stop = threading.Event()

    def send() -> None:
        with contextlib.closing(SimpleUDPClient("127.0.0.1", port)) as client:
            for i in range(10_000):
                if stop.is_set():
                    break
                client.send(vmc_bundle({"jawOpen": (i % 30) / 30, "eyeBlinkLeft": 1.0}))
                time.sleep(1 / 60)

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    try:
        began = time.monotonic()
        code, out, err = run_cli("monitor", "--plot", "--port", str(port), "--seconds", "1.5")
        elapsed = time.monotonic() - began
    finally:
        stop.set()
        sender.join(timeout=5)
    assert code == 0, err
    assert 1.4 <= elapsed < 10.0
    assert "close the window, Esc or Ctrl-C to stop" in out
    assert "received in all" in out and "jawOpen" in out and "eyeBlinkLeft" in out
    rate = float(out.split("rate ")[-1].split("/s")[0])
    assert 30.0 < rate < 75.0
