"""Live puppeteering demo: track a face, layer emotions on it with hotkeys, stream it to engines.

    python demo/live_puppet.py                                # webcam 0, nothing streamed
    python demo/live_puppet.py --to vmc://127.0.0.1:39539     # to a VMC receiver (VSeeFace, ...)
    python demo/live_puppet.py --test-face --to osc://127.0.0.1:9000?rig=arkit52
                                                              # no camera: the astronaut test face

The window shows the camera with the face mesh, the last 10 s of AU curves (left side solid,
right side dashed) and the rig's largest weights; the frame rate and the latency from capture to
sent are in its top left corner. Hotkeys: 1-7 happiness, sadness, surprise, fear, anger, disgust,
contempt (spontaneous); Shift+1-7 the same, posed; M then 1-7 a micro-expression; B a blink;
C calibrate the neutral again (hold a rest face); Space freeze the output; Esc quit.

Every option of ``avatardrive puppet`` works here too (``--video``, ``--rig``, ``--control``,
...; see ``--help``). ``--test-face`` replays a 12 s video of the astronaut photo from
scikit-image (made by ``demo/face_video.py``). Needs the gui and tracking extras.
"""

from __future__ import annotations

import io
import sys
import tempfile
from pathlib import Path

DEMO = Path(__file__).resolve().parent
sys.path.insert(0, str(DEMO))  # face_video, beside this file

#: The screenshot's hotkeys: frame index -> (key, shift) pressed after it.
SHOT_KEYS = {100: ("3", False), 136: ("B", False), 152: ("M", False), 153: ("5", False),
             186: ("7", True), 204: ("1", True)}  # fmt: skip
SHOT_FRAME = 228  # 7.6 s: posed contempt fading, a posed smile at its apex


def make_test_face(folder: Path, *, seconds: float = 12.0) -> Path:
    """Write the astronaut test-face video (a smile after a second of rest face) into ``folder``."""
    from face_video import write_video

    path = folder / "test-face.avi"
    write_video(path, seconds=seconds)
    return path


def screenshot(target: Path) -> int:
    """Run the puppeteering window on the test face with hotkeys pressed on the way, in real
    time and off screen, and save it as a PNG at :data:`SHOT_FRAME`. Returns an exit code."""
    from avatardrive.cli import parse_args, puppet_session
    from avatardrive.pipeline import PuppetState
    from avatardrive.views import PuppetWindow, application, load_qt

    qt = load_qt()
    app = application(qt, offscreen=True)
    with tempfile.TemporaryDirectory() as folder:
        video = make_test_face(Path(folder), seconds=(SHOT_FRAME + 12) / 30.0)
        args = parse_args(["puppet", "--video", str(video)])
        with puppet_session(args, io.StringIO()) as (controller, pump, _):
            window = PuppetWindow(qt, controller, pump, title="avatardrive puppet")
            window.on_done = app.quit
            saved: list[bool] = []

            def on_state(state: PuppetState) -> None:
                if state.index in SHOT_KEYS:
                    key, shift = SHOT_KEYS[state.index]
                    controller.key(key, shift=shift)
                if state.index == SHOT_FRAME:
                    window.draw(state)
                    qt.widgets.QApplication.processEvents()
                    saved.append(window.window.grab().save(str(target), "PNG"))
                    window.finish()

            window.on_state = on_state
            window.start()
            app.exec()
    if not saved or not saved[0]:
        print(f"could not write {target}")
        return 2
    print(f"wrote {target}")
    return 0


def main(argv: list[str] | None = None) -> int:
    from avatardrive.cli import main as avatardrive_cli

    args = list(sys.argv[1:] if argv is None else argv)
    if "--test-face" not in args:
        return avatardrive_cli(["puppet", *args])
    args.remove("--test-face")
    with tempfile.TemporaryDirectory() as folder:
        video = make_test_face(Path(folder))
        return avatardrive_cli(["puppet", "--video", str(video), *args])


if __name__ == "__main__":
    raise SystemExit(main())
