"""The ``plot`` command and the authoring plot: model, PNG output, watch mode, window, Qt extra.

Drawing needs the ``gui`` extra (pyqtgraph + PySide6); those tests are skipped without it, unless
``CI=true``, where they fail. Qt runs off screen (``QT_QPA_PLATFORM=offscreen``, set before any Qt
import); no test runs a blocking event loop.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from conftest import run_cli

from avatardrive.cli import _cmd_plot
from avatardrive.curves import Curves
from avatardrive.errors import ParameterError
from avatardrive.retarget import load_rig
from avatardrive.timeline import load_timeline
from avatardrive.views._plot_model import (
    Figure,
    authoring_figure,
    rig_panel,
    shape_side,
    stagger,
    time_window,
)
from avatardrive.views._plot_qt import INSTALL_HINT, Qt, display_problem
from avatardrive.views._plot_watch import FileWatcher, watch_loop

ROOT = Path(__file__).resolve().parent.parent
CONVERSATION = ROOT / "demo" / "timelines" / "conversation.toml"
BASIC = ROOT / "demo" / "timelines" / "basic_emotions.toml"
SMALL = "800x500"  # enough pixels to tell images apart, quick to draw

GOOD_TOML = """version = 1
duration = 4.0
[blink]
rate = 0
[[events]]
emotion = "happiness"
start = 0.5
label = "smile"
"""
OTHER_TOML = GOOD_TOML.replace('emotion = "happiness"', 'emotion = "surprise"')
BAD_TOML = 'version = 1\n[[events]]\nemotion = "no-such-emotion"\nstart = 1.0\n'


def pixels(qt: Qt, path: Path) -> np.ndarray[Any, np.dtype[np.int16]]:
    """An image file's pixels, shape (height, width, 3), as int16 (room for differences)."""
    image = qt.gui.QImage(str(path)).convertToFormat(qt.gui.QImage.Format.Format_ARGB32)
    assert not image.isNull(), f"{path} is not a readable image"
    array = qt.pg.functions.imageToArray(image, copy=True, transpose=False)
    return np.asarray(array[..., :3], dtype=np.int16)


def write(path: Path, text: str, *, bump: float = 0.0) -> Path:
    """Write ``text``; move the modification time ``bump`` seconds on (coarse file systems)."""
    path.write_text(text, "utf-8")
    if bump:
        stat = path.stat()
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + int(bump * 1e9)))
    return path


def plot_png(tmp_path: Path, timeline: Path, name: str, *extra: str) -> Path:
    target = tmp_path / name
    code, out, err = run_cli("plot", str(timeline), "-o", str(target), "--size", SMALL, *extra)
    assert code == 0, err
    assert out.startswith(f"wrote {target}")
    return target


# -- the model, without Qt ---------------------------------------------------------------------


def conversation_figure(**options: Any) -> Figure:
    return authoring_figure(load_timeline(CONVERSATION), **options)


def test_figure_groups_active_aus_by_region_with_both_sides() -> None:
    figure = conversation_figure()
    titles = [panel.title for panel in figure.regions]
    # only regions with activity (the scene's low mood brings a trace of AU9, nose / cheek)
    assert titles == ["brow", "eyes", "nose / cheek", "mouth", "chin / jaw"]
    for panel in figure.regions:
        assert len(panel.traces) == 2 * len(panel.legend)
        assert [t.side for t in panel.traces] == ["L", "R"] * len(panel.legend)
        for left, right in zip(panel.traces[::2], panel.traces[1::2], strict=True):
            assert left.values.shape == right.values.shape == figure.times.shape
            assert (left.name, right.name) == (left.name[:-2] + "_L", left.name[:-2] + "_R")
            assert max(left.values.max(), right.values.max()) >= 1e-3  # only active AUs
    mouth = next(p for p in figure.regions if p.title == "mouth")
    assert mouth.legend[0].label == "AU12 Lip Corner Puller"
    assert mouth.unit == "AU intensity (0–1)" and mouth.y_max == 1.0


def test_figure_marks_every_event_with_its_name_and_span() -> None:
    figure = conversation_figure()
    names = [span.name for span in figure.spans]
    assert names[:3] == ["felt smile", "posed smile", "surprise"] and len(names) == 9
    assert all(0.0 <= s.start < s.end <= 30.0 for s in figure.spans)


def test_window_slices_curves_and_clips_events() -> None:
    figure = conversation_figure(start=8.0, end=12.0)
    assert figure.window == (8.0, 12.0)
    assert figure.times[0] == pytest.approx(8.0) and figure.times[-1] == pytest.approx(12.0)
    assert [s.name for s in figure.spans] == ["surprise", "fear"]
    assert all(s.start >= 8.0 and s.end <= 12.0 for s in figure.spans)


@pytest.mark.parametrize(("start", "end"), [(12.0, 8.0), (31.0, None), (5.0, 5.0)])
def test_empty_window_is_a_parameter_error(start: float, end: float | None) -> None:
    with pytest.raises(ParameterError, match=r"time window .* is empty"):
        time_window(30.0, start=start, end=end)


def test_window_end_past_the_timeline_is_clipped() -> None:
    assert time_window(30.0, start=10.0, end=99.0) == (10.0, 30.0)


def test_rig_panel_shows_the_most_active_shapes_in_rig_order() -> None:
    rng = np.random.default_rng(3)
    peaks = np.array([0.1, 0.0, 0.9, 0.5, 0.7, 0.3], np.float32)
    values = rng.uniform(0.0, 1.0, (50, 6)).astype(np.float32) * peaks
    names = ["a", "b", "mouthSmileLeft", "c", "mouthSmileRight", "d"]
    weights = Curves(values, fps=10.0, names=names)
    panel = rig_panel(weights, np.zeros(6), title="test", scale=1.0, top=3)
    assert [t.name for t in panel.traces] == ["mouthSmileLeft", "c", "mouthSmileRight"]
    assert [t.side for t in panel.traces] == ["L", None, "R"]
    assert panel.traces[0].color == panel.traces[2].color != panel.traces[1].color
    assert [e.label for e in panel.legend] == ["mouthSmile Left/Right", "c"]


def test_rig_panel_measures_activity_from_rest() -> None:
    values = np.array([[1.0, 0.0], [0.4, 0.0]], np.float32)  # an eyes-open shape resting at 1
    panel = rig_panel(Curves(values, fps=1.0, names=["open", "idle"]), [1.0, 0.0],
                      title="t", scale=1.0, top=2)  # fmt: skip
    assert [t.name for t in panel.traces] == ["open"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("mouthSmileLeft", ("mouthSmile", "L")),
        ("Brow_R", ("Brow", "R")),
        ("eye.L", ("eye", "L")),
        ("jawOpen", ("jawOpen", None)),
        ("Left", ("Left", None)),
    ],
)
def test_shape_side(name: str, expected: tuple[str, str | None]) -> None:
    assert shape_side(name) == expected


def test_stagger_puts_overlapping_labels_in_other_lanes() -> None:
    extents = [(0.0, 3.0), (1.0, 2.0), (2.5, 4.0), (3.5, 5.0), (6.0, 7.0)]
    lanes = stagger(extents)
    assert lanes == [0, 1, 1, 0, 0]
    for i, (a0, a1) in enumerate(extents):
        for j, (b0, b1) in enumerate(extents[:i]):
            if lanes[i] == lanes[j]:
                assert a1 <= b0 or b1 <= a0, (i, j)


def test_stagger_respects_the_gap() -> None:
    assert stagger([(0.0, 1.0), (1.05, 2.0)], gap=0.1) == [0, 1]


@pytest.mark.parametrize(
    ("env", "platform", "problem"),
    [
        ({}, "linux", "no display"),
        ({"DISPLAY": ":0"}, "linux", None),
        ({"WAYLAND_DISPLAY": "wayland-0"}, "linux", None),
        ({"DISPLAY": ":0", "QT_QPA_PLATFORM": "offscreen"}, "linux", "offscreen"),
        ({"QT_QPA_PLATFORM": "vnc"}, "linux", None),
        ({}, "darwin", None),
        ({}, "win32", None),
    ],
)
def test_display_problem(env: dict[str, str], platform: str, problem: str | None) -> None:
    found = display_problem(env, platform=platform)
    assert (found is None) if problem is None else (problem in (found or ""))


# -- watching a file, without an event loop -------------------------------------------------------


def figure_builder(path: Path) -> Figure:
    return authoring_figure(load_timeline(path))


def test_watcher_rebuilds_on_change_and_keeps_the_last_good_figure(tmp_path: Path) -> None:
    path = write(tmp_path / "scene.toml", GOOD_TOML)
    watcher = FileWatcher(path, figure_builder)
    first = watcher.load()
    assert watcher.poll() is False  # nothing changed
    write(path, BAD_TOML, bump=1.0)
    assert watcher.poll() is True
    assert watcher.result is first
    assert watcher.error is not None and "no-such-emotion" in watcher.error
    assert "\n" not in watcher.error
    assert watcher.poll() is False  # still bad, unchanged: no new report
    write(path, OTHER_TOML, bump=2.0)
    assert watcher.poll() is True
    assert watcher.error is None and watcher.result is not first
    assert watcher.result is not None and watcher.result.spans[0].name == "smile"


def test_watcher_reports_a_missing_file_and_recovers(tmp_path: Path) -> None:
    path = write(tmp_path / "scene.toml", GOOD_TOML)
    watcher = FileWatcher(path, figure_builder)
    first = watcher.load()
    path.unlink()  # editors that save by rename leave a moment without the file
    assert watcher.poll() is True
    assert watcher.result is first and watcher.error is not None
    write(path, GOOD_TOML)
    assert watcher.poll() is True and watcher.error is None


def test_watch_loop_calls_back_after_each_change(tmp_path: Path) -> None:
    path = write(tmp_path / "scene.toml", GOOD_TOML)
    watcher = FileWatcher(path, figure_builder)
    watcher.load()
    edits = iter([BAD_TOML, None, OTHER_TOML])
    seen: list[str | None] = []

    def sleep(seconds: float) -> None:
        text = next(edits)
        if text is not None:
            write(path, text, bump=len(seen) + 1.0)

    watch_loop(watcher, lambda w: seen.append(w.error), sleep=sleep, polls=3)
    assert len(seen) == 2 and seen[0] is not None and seen[1] is None


# -- the command line ---------------------------------------------------------------------------


@pytest.mark.parametrize("missing", ["pyqtgraph", "pyqtgraph.Qt"])
def test_missing_gui_extra_says_how_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, missing: str
) -> None:
    monkeypatch.setitem(sys.modules, missing, None)  # makes `import` raise ImportError
    target = tmp_path / "out.png"
    code, _, err = run_cli("plot", str(CONVERSATION), "-o", str(target))
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("avatardrive: error: ")
    assert INSTALL_HINT in err and "pip install 'avatardrive[gui]'" in err
    assert not target.exists()


def test_plot_help_and_import_stay_free_of_qt() -> None:
    code = (
        "import io, sys\n"
        "from avatardrive.cli._main import main\n"
        "try:\n"
        "    main(['plot', '--help'], stdout=io.StringIO())\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = [m for m in ('PySide6', 'PyQt6', 'pyqtgraph') if m in sys.modules]\n"
        "print('loaded Qt modules:', heavy)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "usage: avatardrive plot" in result.stdout
    assert result.stdout.strip().splitlines()[-1] == "loaded Qt modules: []"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-o", "out.jpg"], "expected .png"),
        (["-o", "no/such/folder/out.png"], "does not exist"),
        (["-o", "out.png", "--size", "12x34"], "--size"),
        (["-o", "out.png", "--size", "big"], "--size"),
        (["-o", "out.png", "--from", "-1"], "--from"),
        (["-o", "out.png", "--shapes", "0"], "--shapes"),
    ],
)
def test_bad_options_exit_2(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli("plot", str(CONVERSATION), *args)
    assert code == 2
    assert message in err + capsys.readouterr().err  # argparse writes its usage errors itself
    assert list(tmp_path.iterdir()) == []


def test_plot_writes_a_png_of_the_size_asked(qt: Qt, tmp_path: Path) -> None:
    target = plot_png(tmp_path, CONVERSATION, "conversation.png")
    image = pixels(qt, target)
    assert image.shape == (500, 800, 3)
    assert image.std() > 20.0  # not blank
    colours = np.unique((image // 32).reshape(-1, 3), axis=0)
    assert len(colours) >= 20  # curves, spans, text: many distinct colours
    assert (image == 255).all(axis=-1).mean() > 0.3  # a white background
    assert [p.name for p in tmp_path.iterdir()] == ["conversation.png"]  # no temp file left


def test_default_size_is_1600_by_1000(qt: Qt, tmp_path: Path) -> None:
    target = tmp_path / "big.png"
    assert run_cli("plot", str(BASIC), "-o", str(target))[0] == 0
    assert pixels(qt, target).shape == (1000, 1600, 3)


def test_different_timelines_give_different_images(qt: Qt, tmp_path: Path) -> None:
    one = pixels(qt, plot_png(tmp_path, CONVERSATION, "one.png"))
    two = pixels(qt, plot_png(tmp_path, BASIC, "two.png"))
    assert np.abs(one - two).mean() > 3.0


def test_same_timeline_gives_the_same_image(qt: Qt, tmp_path: Path) -> None:
    one = pixels(qt, plot_png(tmp_path, CONVERSATION, "one.png"))
    two = pixels(qt, plot_png(tmp_path, CONVERSATION, "two.png"))
    assert np.abs(one - two).mean() < 0.5


def test_time_window_changes_the_image(qt: Qt, tmp_path: Path) -> None:
    whole = pixels(qt, plot_png(tmp_path, CONVERSATION, "whole.png"))
    part = pixels(qt, plot_png(tmp_path, CONVERSATION, "part.png", "--from", "8", "--to", "13"))
    assert np.abs(whole - part).mean() > 3.0


def test_rig_adds_the_weights_panel(qt: Qt, tmp_path: Path) -> None:
    plain = pixels(qt, plot_png(tmp_path, CONVERSATION, "plain.png"))
    rigged = pixels(qt, plot_png(tmp_path, CONVERSATION, "rig.png", "--rig", "arkit52"))
    assert np.abs(plain - rigged).mean() > 3.0
    # the weights panel sits at the bottom: the lower part changes most
    lower = np.abs(plain[-150:] - rigged[-150:]).mean()
    assert lower > 3.0
    rig = load_rig("arkit52")
    figure = conversation_figure(rig=rig)
    assert figure.rig is not None and 1 <= len(figure.rig.traces) <= 8
    assert {t.name for t in figure.rig.traces} <= set(rig.shape_names)


def test_unknown_rig_exits_2(qt: Qt, tmp_path: Path) -> None:
    target = tmp_path / "out.png"
    code, _, err = run_cli("plot", str(CONVERSATION), "--rig", "no-such-rig", "-o", str(target))
    assert code == 2 and err.count("\n") == 1 and "no-such-rig" in err
    assert not target.exists()


def test_bad_timeline_exits_2_with_one_line_and_no_png(qt: Qt, tmp_path: Path) -> None:
    timeline = write(tmp_path / "bad.toml", BAD_TOML)
    target = tmp_path / "out.png"
    code, out, err = run_cli("plot", str(timeline), "-o", str(target))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("avatardrive: error: ")
    assert "bad.toml" in err and "no-such-emotion" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.toml"]


def test_bad_timeline_leaves_an_existing_png_alone(qt: Qt, tmp_path: Path) -> None:
    target = plot_png(tmp_path, CONVERSATION, "out.png")
    before = target.read_bytes()
    timeline = write(tmp_path / "bad.toml", BAD_TOML)
    assert run_cli("plot", str(timeline), "-o", str(target))[0] == 2
    assert target.read_bytes() == before


def test_no_display_asks_for_o(qt: Qt, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    code, _, err = run_cli("plot", str(CONVERSATION))
    assert code == 2 and err.count("\n") == 1
    assert "-o FILE.png" in err and "DISPLAY" in err


def test_offscreen_platform_cannot_open_a_window(qt: Qt, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    code, _, err = run_cli("plot", str(CONVERSATION))
    assert code == 2 and "-o FILE.png" in err


def test_watch_with_output_rewrites_the_png_and_keeps_it_on_errors(
    qt: Qt, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    timeline = write(tmp_path / "scene.toml", GOOD_TOML)
    target = tmp_path / "scene.png"
    edits = iter([BAD_TOML, OTHER_TOML])
    images: list[bytes] = []

    def sleep(seconds: float) -> None:
        images.append(target.read_bytes())
        write(timeline, next(edits), bump=len(images))

    loop = functools.partial(_cmd_plot.watch_loop, sleep=sleep, polls=2)
    monkeypatch.setattr(_cmd_plot, "watch_loop", loop)
    code, out, err = run_cli("plot", str(timeline), "-o", str(target), "--size", SMALL, "--watch")
    assert code == 0
    assert out.count("wrote ") == 2 and "watching" in out
    assert "no-such-emotion" in err and f"kept {target}" in err
    assert images[1] == images[0]  # the bad edit kept the last good PNG
    assert target.read_bytes() != images[0]  # the good edit replaced it


# -- the window, with processEvents instead of a blocking event loop -------------------------------


def spin(qt: Qt, until: Callable[[], bool], *, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not until():
        assert time.monotonic() < deadline, "timed out waiting for Qt"
        qt.widgets.QApplication.processEvents()
        time.sleep(0.01)


def test_window_redraws_on_change_and_shows_errors_in_its_title(qt: Qt, tmp_path: Path) -> None:
    from avatardrive.views._plot_window import PlotWindow

    path = write(tmp_path / "scene.toml", GOOD_TOML)
    watcher = FileWatcher(path, figure_builder)
    watcher.load()
    window = PlotWindow(qt, watcher, size=(640, 400), watch=True, interval_ms=20)
    window.show()
    spin(qt, window.window.isVisible)
    first = window.window.centralWidget()
    assert window.title.startswith("scene.toml") and "error" not in window.title

    write(path, BAD_TOML, bump=1.0)
    spin(qt, lambda: "error" in window.title)  # the timer polled and found the bad file
    assert "no-such-emotion" in window.title
    assert window.window.centralWidget() is first  # the last good plot stays
    assert "last good render" in window.window.statusBar().currentMessage()

    write(path, OTHER_TOML, bump=2.0)
    spin(qt, lambda: "error" not in window.title)
    assert window.window.centralWidget() is not first

    qt.core.QTimer.singleShot(0, window.close)
    spin(qt, lambda: not window.window.isVisible())
