"""``avatardrive preview``: any input to a video, a GIF or a contact sheet, read back by OpenCV and
Pillow (in-process CLI; Qt off screen)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import run_cli

from avatardrive.curves import write_curves, zeros
from avatardrive.facs import channel_index, channels_of

cv2 = pytest.importorskip("cv2")
Image = pytest.importorskip("PIL.Image")

TIMELINE = """\
version = 1
fps = 30
duration = 2.0
seed = 1
[blink]
rate = 0
[[events]]
emotion = "happiness"
start = 0.2
intensity = 0.8
"""


@pytest.fixture
def timeline(tmp_path: Path, qt: Any) -> Path:
    path = tmp_path / "scene.toml"
    path.write_text(TIMELINE)
    return path


def video_facts(path: Path) -> tuple[int, float, int, int]:
    """Frames counted by reading them all, fps, width, height."""
    capture = cv2.VideoCapture(str(path))
    try:
        frames = 0
        size = (0, 0)
        while True:
            ok, image = capture.read()
            if not ok:
                break
            frames += 1
            size = (image.shape[1], image.shape[0])
        return frames, capture.get(cv2.CAP_PROP_FPS), *size
    finally:
        capture.release()


def test_preview_writes_a_video_opencv_reads_back(timeline: Path, tmp_path: Path) -> None:
    target = tmp_path / "scene.mp4"
    code, out, err = run_cli("preview", str(timeline), "-o", str(target), "--size", "256x256")
    assert (code, err) == (0, "")
    assert out.startswith(f"wrote {target} (256x256 px): 60 frames at 30 fps (2.00 s) of timeline")
    assert video_facts(target) == (60, 30.0, 256, 256)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary left


def test_the_face_smiles_in_the_video(timeline: Path, tmp_path: Path) -> None:
    target = tmp_path / "scene.avi"
    assert run_cli("preview", str(timeline), "-o", str(target), "--size", "256x256")[0] == 0
    capture = cv2.VideoCapture(str(target))
    frames = []
    while (read := capture.read())[0]:
        frames.append(read[1].astype(np.int16))
    capture.release()
    mouth = np.s_[150:200, 80:176]  # around the mouth of a 256 px face
    change = [np.abs(f[mouth] - frames[0][mouth]).mean() for f in frames]
    assert change[0] == 0 and max(change) > 5
    assert int(np.argmax(change)) > 10  # the smile builds after its start at 0.2 s


def test_with_plot_from_to_and_fps(timeline: Path, tmp_path: Path) -> None:
    target = tmp_path / "part.mp4"
    options = ["--size", "200x200", "--with-plot", "--from", "0.5", "--to", "1.5", "--fps", "20"]
    code, out, _ = run_cli("preview", str(timeline), "-o", str(target), *options)
    assert code == 0
    assert "curves of AU12" in out
    assert video_facts(target) == (20, 20.0, 200 + 320, 200)


def test_a_gif_plays_at_most_25_fps(timeline: Path, tmp_path: Path) -> None:
    target = tmp_path / "scene.gif"
    code, out, _ = run_cli("preview", str(timeline), "-o", str(target), "--size", "200x200",
                           "--fps", "50")  # fmt: skip
    assert code == 0
    assert "plays at 25 fps" in out
    assert "50 frames at 25 fps (2.00 s)" in out
    with Image.open(target) as gif:
        assert gif.size == (200, 200) and gif.info["loop"] == 0
        durations = []
        for index in range(gif.n_frames):  # Pillow merges repeated frames, adding their times
            gif.seek(index)
            durations.append(gif.info["duration"])
        assert sum(durations) == 2000 and set(durations) <= {40 * k for k in range(1, 51)}
        gif.seek(0)
        first = np.asarray(gif.convert("RGB"), dtype=np.int16)
        gif.seek(gif.n_frames // 2)  # unchanged pixels are transparent: the earlier frame shows
        middle = np.asarray(gif.convert("RGB"), dtype=np.int16)
    changed = np.abs(middle - first).max(axis=2) > 40
    assert 100 < changed.sum() < 0.2 * changed.size  # the smile, not a blank or garbled frame
    assert changed[70:150, 40:160].sum() > 0.9 * changed.sum()  # from the eyes to the chin


def test_a_contact_sheet_of_chosen_times(timeline: Path, tmp_path: Path) -> None:
    target = tmp_path / "sheet.png"
    code, out, _ = run_cli("preview", str(timeline), "-o", str(target), "--size", "200x200",
                           "--at", "0,0.5,1.0,1.9,1.95")  # fmt: skip
    assert code == 0 and "a contact sheet of 5 times" in out
    with Image.open(target) as sheet:
        assert sheet.size[0] == 4 * 200 and sheet.size[1] > 2 * 200


def test_a_curve_file_previews_at_its_own_rate(tmp_path: Path, qt: Any) -> None:
    curves = zeros(24, fps=24.0)
    curves.values[:, channel_index("AU45_L")] = 1.0
    source = tmp_path / "curves.csv"
    write_curves(curves, source)
    target = tmp_path / "curves.mp4"
    assert run_cli("preview", str(source), "-o", str(target), "--size", "200x200")[0] == 0
    assert video_facts(target)[:2] == (24, 24.0)


@pytest.mark.parametrize(("args", "pattern"), [
    (["-o", "{tmp}/x.webm"], r"suffix '\.webm'; expected one of \.mp4, \.avi, \.gif, \.png"),
    (["-o", "{tmp}/no/x.mp4"], r"folder .* does not exist"),
    (["-o", "{tmp}/x.mp4", "--from", "1.5", "--to", "1.0"], r"--to 1 is not after --from 1\.5"),
    (["-o", "{tmp}/x.mp4", "--from", "9"], r"select no frame; the input runs from 0 to 2\.000 s"),
    (["-o", "{tmp}/x.png", "--at", "5"], r"time 5\.0 is outside the clip; expected 0 to 1\.967 s"),
    (["-o", "{tmp}/x.mp4", "--at", "1"], r"--at chooses the times of a contact sheet"),
])  # fmt: skip
def test_bad_requests_are_one_line_and_exit_2(
    timeline: Path, tmp_path: Path, args: list[str], pattern: str
) -> None:
    argv = [a.replace("{tmp}", str(tmp_path)) for a in args]
    code, out, err = run_cli("preview", str(timeline), *argv)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("avatardrive: error: ")
    assert pytest.importorskip("re").search(pattern, err), err
    assert not list(tmp_path.glob("x.*"))


def test_a_missing_input_names_the_file(tmp_path: Path, qt: Any) -> None:
    code, _, err = run_cli("preview", str(tmp_path / "nope.toml"), "-o", str(tmp_path / "x.mp4"))
    assert code == 2 and "nope.toml" in err and "no such file" in err


def test_progress_reaches_the_bar_once_per_step() -> None:
    from avatardrive.cli._cmd_preview import _percent

    seen: list[float] = []
    update = _percent(seen.append, step=10)  # type: ignore[arg-type]
    for done in range(1, 1801):
        update(done, 1800)
    assert seen == [k / 10 for k in range(11)]  # 0 %, 10 %, ..., 100 %


def test_long_clips_scroll_past_the_cursor_and_short_ones_stand_still(qt: Any) -> None:
    from avatardrive.views._preview import PreviewFrames, active_units

    curves = zeros(200, fps=10.0)  # 20 s
    curves.values[95:125, list(channels_of(12))] = 0.8  # a smile from 9.5 s to 12.5 s
    curves.values[:, list(channels_of(51))] = 0.5  # the head turns: no lane for it
    assert active_units(curves) == [12]
    frames = PreviewFrames(qt, curves, size=(200, 200), with_plot=True)
    assert frames.size == (200 + 320, 200) and frames.units == [12]
    plot = np.s_[:, 200:]
    before, during, later = (frames.rgb(i)[plot].astype(int) for i in (60, 110, 111))
    assert np.abs(during - later).max() > 40  # one frame later the curves have moved
    short = PreviewFrames(qt, curves.slice(9.0, 13.0), size=(200, 200), with_plot=True)
    first, second = (short.rgb(i)[plot].astype(int) for i in (10, 11))
    changed = np.abs(first - second).max(axis=2) > 40
    columns = np.flatnonzero(changed.any(axis=0))
    assert 0 < np.ptp(columns) < 12  # only the cursor moved
    assert np.abs(before - during).max() > 40
