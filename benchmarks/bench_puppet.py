"""The puppeteering window under load: does drawing ever hold up the stream?

Makes a 640x480 video of the astronaut's face (scikit-image) moving its head and smiling, 300
frames at 30 fps, and replays it in real time through the real puppeteering window (off screen,
Qt's own event loop), streaming to a UDP receiver, with hotkeys pressed on the way. Then the same
replay without any window, for the stream's timing alone. Prints:

- the stream: frames received against frames expected, latency (capture to sent; a frame counts
  as captured when it is due) p50 / p99 / max with and without the window, and frames more than a
  frame period late;
- the drawing: draws per second, draws put off to keep the stream on time, the cost of a draw
  (setting data, and setting data plus Qt's paint), and the GUI's whole cost per frame (the main
  thread's busy time, measured from Qt's event dispatcher, minus tracking and sending).

Targets (issue 6): the stream never skips or delays a frame because of drawing; drawing at least
30 times a second.

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_puppet.py [--frames 300] [--size 1400x860]

Needs the gui and tracking extras and scikit-image.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from avatardrive.cli._args import image_size
from avatardrive.pipeline import FramePump, PuppetController, PuppetState, open_routes
from avatardrive.retarget import load_rig
from avatardrive.tracking import FaceLandmarkerBackend, Tracker, VideoFrame, VideoSource
from avatardrive.transport import StreamMonitor
from avatardrive.views._plot_qt import Qt, application, load_qt
from avatardrive.views._puppet_window import DEFAULT_SIZE, PuppetWindow

WIDTH, HEIGHT, FPS = 640, 480, 30.0
TARGET_DRAW_FPS = 30.0
#: frame index -> keys pressed after it (Qt key names)
KEYS = {30: ["Key_1"], 100: ["Key_3"], 160: ["Key_M", "Key_4"], 200: ["Key_B"], 240: ["Key_7"]}


def make_video(path: Path, frames: int) -> None:
    """The astronaut on a 640x480 canvas, the head swaying, the lip corners lifting every 3 s."""
    import cv2
    from skimage import data

    canvas = np.full((HEIGHT, WIDTH, 3), 200, dtype=np.uint8)
    canvas[:, 64:576] = data.astronaut()[:HEIGHT]
    with FaceLandmarkerBackend(video=False, zoom=None) as backend:
        observation = backend.observe(VideoFrame(0, 0.0, canvas))
    assert observation is not None and observation.landmarks is not None
    corners = observation.landmarks[[61, 291], :2]  # the lip corners
    yy, xx = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
    lift = sum(np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * 14.0**2)) for cx, cy in corners)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), FPS, (WIDTH, HEIGHT))
    for i in range(frames):
        smile = 7.0 * (0.5 - 0.5 * np.cos(2 * np.pi * i / 90.0))
        image = cv2.remap(canvas, xx, (yy + smile * lift).astype(np.float32), cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REFLECT)  # fmt: skip
        angle, dx = 4.0 * np.sin(2 * np.pi * i / 150.0), 12.0 * np.sin(2 * np.pi * i / 110.0)
        matrix = cv2.getRotationMatrix2D((WIDTH / 2, HEIGHT / 2), angle, 1.0)
        matrix[0, 2] += dx
        moved = cv2.warpAffine(image, matrix, (WIDTH, HEIGHT), borderMode=cv2.BORDER_REPLICATE)
        writer.write(cv2.cvtColor(moved, cv2.COLOR_RGB2BGR))
    writer.release()


class Probe:
    """Wraps ``controller.step`` and ``source.read``: when each step was due, began and ended,
    and the main thread's CPU time spent in them (tracking, sending, decoding) against its whole
    CPU time, the rest being the GUI's (drawing, Qt's paint, event handling)."""

    def __init__(self, controller: PuppetController, source: VideoSource) -> None:
        self.steps: list[tuple[float, float, float]] = []  # (due, began, ended)
        self.work = self.total = 0.0
        step, read = controller.step, source.read

        def timed_step(frame: Any, *, captured: float | None = None) -> PuppetState:
            began, cpu = time.perf_counter(), time.thread_time()
            try:
                return step(frame, captured=captured)
            finally:
                self.work += time.thread_time() - cpu
                self.steps.append((captured or began, began, time.perf_counter()))

        def timed_read() -> Any:
            cpu = time.thread_time()
            try:
                return read()
            finally:
                self.work += time.thread_time() - cpu

        controller.step = timed_step  # type: ignore[method-assign]
        source.read = timed_read  # type: ignore[method-assign]
        self._cpu = time.thread_time()

    def stop(self) -> None:
        self.total = time.thread_time() - self._cpu

    def delays(self) -> tuple[np.ndarray, np.ndarray]:
        """Per frame (the first left out): seconds its step began late because the main thread
        was still busy with something else than tracking (the GUI), and because it was still
        tracking the frame before."""
        gui, tracking = [], []
        for (due, began, _), (_, _, ended_before) in zip(self.steps[1:], self.steps[:-1],
                                                          strict=True):  # fmt: skip
            free = max(due, ended_before)  # when the main thread could have begun this frame
            gui.append(max(began - free, 0.0))
            tracking.append(max(ended_before - due, 0.0))
        return np.array(gui), np.array(tracking)


def session(video: Path, port: int) -> tuple[PuppetController, FramePump, VideoSource, Any]:
    routes = open_routes([f"osc://127.0.0.1:{port}?rig=arkit52"])
    source = VideoSource(video).open()
    backend = FaceLandmarkerBackend()
    tracker = Tracker(backend, calibrate_seconds=1.0)
    controller = PuppetController(tracker, routes, rig=load_rig("arkit52"))
    return controller, FramePump(source, realtime=True), source, backend


def close(controller: PuppetController, source: VideoSource, backend: Any) -> None:
    controller.close()
    for route in controller.routes:
        route.sink.close()
    source.close()
    backend.close()


def with_window(qt: Qt, video: Path, *, size: tuple[int, int]) -> dict[str, Any]:
    """The real window on Qt's event loop; keys posted as the frames go by."""
    app = application(qt, offscreen=True)
    states: list[PuppetState] = []
    with StreamMonitor(0) as monitor:
        controller, pump, source, backend = session(video, monitor.address[1])
        window = PuppetWindow(qt, controller, pump, size=size)
        window.on_done = app.quit

        def on_state(state: PuppetState) -> None:
            states.append(state)
            for name in KEYS.get(state.index, []):
                event = qt.gui.QKeyEvent(qt.core.QEvent.Type.KeyPress,
                                         getattr(qt.core.Qt.Key, name),
                                         qt.core.Qt.KeyboardModifier.NoModifier)  # fmt: skip
                qt.widgets.QApplication.postEvent(window.window, event)

        window.on_state = on_state
        probe = Probe(controller, source)
        began = time.perf_counter()
        window.start()
        app.exec()
        wall = time.perf_counter() - began
        probe.stop()
        close(controller, source, backend)
        time.sleep(0.2)
        received = monitor.snapshot().frames
    return {"states": states, "wall": wall, "probe": probe, "received": received,
            "stats": window.stats, "size": size}  # fmt: skip


def without_window(video: Path) -> dict[str, Any]:
    """The same replay with nothing drawn: the pump and the controller in a sleep loop."""
    states: list[PuppetState] = []
    with StreamMonitor(0) as monitor:
        controller, pump, source, backend = session(video, monitor.address[1])
        probe = Probe(controller, source)
        began = time.perf_counter()
        while not pump.ended:
            time.sleep(pump.wait())
            captured = pump.take()
            if captured is not None:
                states.append(controller.step(captured.frame, captured=captured.captured))
                for name in KEYS.get(states[-1].index, []):
                    controller.key(name.removeprefix("Key_"))
        wall = time.perf_counter() - began
        close(controller, source, backend)
        time.sleep(0.2)
        received = monitor.snapshot().frames
    return {"states": states, "wall": wall, "probe": probe, "received": received}


def ms(values: np.ndarray) -> str:
    values = np.asarray(values) * 1e3
    return (f"p50 {np.percentile(values, 50):5.1f} ms, p99 {np.percentile(values, 99):5.1f} ms, "
            f"max {values.max():5.1f} ms")  # fmt: skip


def stream_lines(label: str, run: dict[str, Any], expected: int) -> None:
    states = run["states"]
    latency = np.array([s.latency for s in states[1:]])  # the first frame warms MediaPipe up
    gui, tracking = run["probe"].delays()
    period = 1.0 / FPS
    print(f"  {label}: received {run['received']}/{expected} frames in {run['wall']:.2f} s; "
          f"latency (capture to sent) {ms(latency)}")  # fmt: skip
    print(f"    frames held up by other work (the GUI): {int((gui > 0.002).sum())} by more "
          f"than 2 ms, {int((gui > period).sum())} by more than a frame period; by up to "
          f"{gui.max() * 1e3:.1f} ms")  # fmt: skip
    print(f"    frames held up by tracking the frame before: {int((tracking > 0.002).sum())} by "
          f"more than 2 ms, by up to {tracking.max() * 1e3:.1f} ms")  # fmt: skip


def report(frames: int, drawn: dict[str, Any], plain: dict[str, Any]) -> None:
    stats = drawn["stats"]
    n = len(drawn["states"])
    expected = frames + 1  # and the neutral frame at the end
    print(f"input: {frames} frames of 640x480 video at {FPS:g} fps, replayed in real time; "
          f"window {drawn['size'][0]}x{drawn['size'][1]} off screen")  # fmt: skip
    print("\nstream")
    stream_lines("with the window", drawn, expected)
    stream_lines("no window      ", plain, expected)
    costs = np.array(stats.costs)
    draw_rate = stats.draws / drawn["wall"]
    probe = drawn["probe"]
    gui = (probe.total - probe.work) / n * 1e3
    verdict = "met" if draw_rate >= TARGET_DRAW_FPS * 0.995 else "NOT met"
    draws = max(stats.draws, 1)
    capacity = 1.0 / float(np.percentile(costs, 50))
    print("\ndrawing")
    print(f"  {stats.draws} draws for {n} frames in {drawn['wall']:.2f} s = {draw_rate:.1f} per "
          f"second (target >= {TARGET_DRAW_FPS:g}: {verdict}); {stats.deferred} put off because "
          f"the next frame was due sooner than a draw takes")  # fmt: skip
    print(f"  capacity: at the median cost, up to {capacity:.0f} draws a second if the main "
          f"thread did nothing else; the input's {FPS:g} fps caps them here")  # fmt: skip
    print(f"  per draw: setting data {stats.draw_seconds / draws * 1e3:.2f} ms, Qt's paint of "
          f"the views {stats.paint_seconds / draws * 1e3:.2f} ms; both {ms(costs)}")  # fmt: skip
    print(f"  per frame: tracking + sending {stats.step_seconds / n * 1e3:.2f} ms (wall); the "
          f"GUI's CPU time (draws, Qt's paint, events) {gui:.2f} ms; main thread busy "
          f"{probe.total / drawn['wall']:.0%} of the time (CPU)")  # fmt: skip
    gui_delays, _ = probe.delays()
    lost = expected - drawn["received"]
    skipped = int((gui_delays > 1.0 / FPS).sum())
    kept = lost == 0 and skipped == 0
    print(f"\nstream kept its rate while drawing: {'yes' if kept else 'NO'} ({lost} frames "
          f"missing, {skipped} held up by drawing for more than a frame period)")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=300, help="video length (300)")
    parser.add_argument("--size", type=image_size, default=DEFAULT_SIZE, metavar="WxH",
                        help="window size (the default window's)")  # fmt: skip
    args = parser.parse_args()
    qt = load_qt()
    with tempfile.TemporaryDirectory() as folder:
        video = Path(folder) / "face.avi"
        make_video(video, args.frames)
        plain = without_window(video)
        drawn = with_window(qt, video, size=args.size)
    report(args.frames, drawn, plain)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
