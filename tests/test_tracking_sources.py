"""VideoFrame sources: video files, image folders, webcams, Live Link Face CSV recordings."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import numpy as np
import pytest

from avatardrive.errors import ParameterError, TrackingError
from avatardrive.tracking import (
    ARKIT_NAMES,
    FrameSource,
    ImageFolderSource,
    LiveLinkSource,
    VideoFrame,
    VideoSource,
    WebcamSource,
    parse_timecode,
    read_live_link,
)

cv2 = pytest.importorskip("cv2")


def write_video(path: Path, frames: list[np.ndarray], *, fps: float = 30.0,
                fourcc: str = "MJPG") -> Path:
    """Write RGB frames with OpenCV (BGR on disk)."""
    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, (width, height))
    assert writer.isOpened()
    for frame in frames:
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()
    return path


def drain(source: FrameSource, into: list[VideoFrame]) -> list[VideoFrame]:
    """Read ``source`` to its end, appending every frame to ``into``."""
    while (frame := source.read()) is not None:
        into.append(frame)
    return into


def gradient_frames(n: int, size: int = 64) -> list[np.ndarray]:
    """Frames whose mean brightness encodes their index (survives JPEG)."""
    return [np.full((size, size, 3), 4 * i + 20, dtype=np.uint8) for i in range(n)]


# --- video --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("fourcc", "suffix"), [("MJPG", ".avi"), ("mp4v", ".mp4"),
                                                ("FFV1", ".avi")])
def test_video_replays_every_frame_in_order_with_timing(tmp_path: Path, fourcc: str,
                                                        suffix: str) -> None:
    path = write_video(tmp_path / f"clip{suffix}", gradient_frames(20), fps=25.0, fourcc=fourcc)
    with VideoSource(path) as source:
        assert source.fps == pytest.approx(25.0)
        frames = []
        while (frame := source.read()) is not None:
            frames.append(frame)
        assert source.frame_index == 20
    assert [f.index for f in frames] == list(range(20))
    assert [f.time for f in frames] == pytest.approx([i / 25.0 for i in range(20)])
    levels = [float(f.image.mean()) for f in frames if f.image is not None]
    assert np.all(np.diff(levels) > 0)  # order kept
    assert frames[0].image is not None and frames[0].image.shape == (64, 64, 3)
    assert not frames[0].mirrored


def test_video_source_carries_the_mirrored_flag(tmp_path: Path) -> None:
    path = write_video(tmp_path / "clip.avi", gradient_frames(2))
    with VideoSource(path, mirrored=True) as source:
        frame = source.read()
    assert frame is not None and frame.mirrored


def test_truncated_video_reports_the_frame_and_keeps_those_before(tmp_path: Path) -> None:
    path = write_video(tmp_path / "clip.avi", gradient_frames(30))
    data = path.read_bytes()
    cut = tmp_path / "cut.avi"
    cut.write_bytes(data[: int(len(data) * 0.6)])
    kept: list[VideoFrame] = []
    with VideoSource(cut) as source, pytest.raises(TrackingError) as info:
        drain(source, kept)
    message = str(info.value)
    match = re.search(r"decoding stopped at frame (\d+) of the 30", message)
    assert match, message
    assert "cut.avi" in message and "truncated" in message
    assert 0 < len(kept) == int(match.group(1)) < 30


def test_losing_the_last_frames_is_an_error(tmp_path: Path) -> None:
    # Noise makes big JPEGs, so cutting 10 % loses the index and the last ~3 frames. (A cut
    # inside the very last frame can go unnoticed: FFmpeg decodes a partial JPEG.)
    rng = np.random.default_rng(1)
    noise = [rng.integers(0, 256, (64, 64, 3), dtype=np.uint8) for _ in range(30)]
    path = write_video(tmp_path / "clip.avi", noise)
    data = path.read_bytes()
    cut = tmp_path / "cut.avi"
    cut.write_bytes(data[: int(len(data) * 0.9)])
    with VideoSource(cut) as source, pytest.raises(TrackingError, match=r"frame 2\d of the 30"):
        drain(source, [])


@pytest.mark.parametrize("content", [b"", b"this is not a video\n" * 50])
def test_video_that_does_not_open(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "clip.mp4"
    path.write_bytes(content)
    with pytest.raises(TrackingError, match=r"clip\.mp4: the video does not open"):
        VideoSource(path).open()


def test_truncated_mp4_without_its_index_does_not_open(tmp_path: Path) -> None:
    path = write_video(tmp_path / "clip.mp4", gradient_frames(10), fourcc="mp4v")
    path.write_bytes(path.read_bytes()[:-200])  # OpenCV writes the moov atom last
    with pytest.raises(TrackingError, match="does not open"):
        VideoSource(path).open()


def test_missing_video_file(tmp_path: Path) -> None:
    with pytest.raises(TrackingError, match=r"nope\.avi: no such video file"):
        VideoSource(tmp_path / "nope.avi").open()


def test_read_before_open_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(TrackingError, match="before open"):
        VideoSource(tmp_path / "x.avi").read()


# --- webcam -------------------------------------------------------------------------------------


def test_no_camera_is_a_clear_error() -> None:
    source = WebcamSource(0)
    with pytest.raises(TrackingError, match=r"^webcam 0: no camera at index 0$"):
        source.open()
    assert not source.is_open
    assert source.mirrored is False  # OpenCV delivers unmirrored frames


# --- image folder -------------------------------------------------------------------------------


def test_image_folder_in_natural_order_with_the_given_fps(tmp_path: Path) -> None:
    for i, frame in enumerate(gradient_frames(12)):
        cv2.imwrite(str(tmp_path / f"frame{i}.png"), frame)
    (tmp_path / "notes.txt").write_text("not an image")
    with ImageFolderSource(tmp_path, fps=10.0) as source:
        frames = []
        while (frame := source.read()) is not None:
            frames.append(frame)
    assert len(frames) == 12
    assert [f.time for f in frames] == pytest.approx([i / 10 for i in range(12)])
    levels = [int(f.image[0, 0, 0]) for f in frames if f.image is not None]
    assert levels == [4 * i + 20 for i in range(12)]  # frame2 before frame10


def test_empty_image_folder(tmp_path: Path) -> None:
    (tmp_path / "readme.md").write_text("no images here")
    with pytest.raises(TrackingError, match="no images in the folder"):
        ImageFolderSource(tmp_path, fps=30).open()


def test_image_folder_that_is_not_a_folder(tmp_path: Path) -> None:
    with pytest.raises(TrackingError, match="not a folder"):
        ImageFolderSource(tmp_path / "missing", fps=30).open()


def test_image_folder_needs_a_positive_fps(tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match="fps"):
        ImageFolderSource(tmp_path, fps=0)


def test_an_image_that_does_not_decode_is_skipped_with_one_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    for i in range(5):
        cv2.imwrite(str(tmp_path / f"{i}.png"), np.full((8, 8, 3), 40 * i, dtype=np.uint8))
    (tmp_path / "2.png").write_bytes(b"broken")
    with caplog.at_level(logging.WARNING, logger="avatardrive.tracking"), \
            ImageFolderSource(tmp_path, fps=10) as source:
        frames = drain(source, [])
    assert [f.index for f in frames] == [0, 1, 3, 4]
    assert [f.time for f in frames] == pytest.approx([0.0, 0.1, 0.3, 0.4])
    assert [int(f.image[0, 0, 0]) for f in frames if f.image is not None] == [0, 40, 120, 160]
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 1
    assert re.fullmatch(r".*2\.png: frame 2 does not decode \(not an image, or damaged\); "
                        r"skipped", messages[0])


def corrupt_frame(path: Path, frame: int) -> None:
    """Overwrite the JPEG headers of one frame of an MJPG AVI: that frame no longer decodes."""
    data = bytearray(path.read_bytes())
    starts = [m.start() for m in re.finditer(b"\xff\xd8\xff", bytes(data))]
    data[starts[frame]:starts[frame] + 200] = bytes(200)
    path.write_bytes(bytes(data))


def test_a_video_frame_that_does_not_decode_is_skipped_with_one_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = write_video(tmp_path / "clip.avi", gradient_frames(12))
    corrupt_frame(path, 5)
    with caplog.at_level(logging.WARNING, logger="avatardrive.tracking"), \
            VideoSource(path) as source:
        frames = drain(source, [])
    assert [f.index for f in frames] == [i for i in range(12) if i != 5]
    assert frames[5].time == pytest.approx(6 / 30)
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 1
    assert re.fullmatch(r".*clip\.avi: frame 5 does not decode; skipped \(the frames after "
                        r"it are read\)", messages[0])


# --- Live Link Face CSV -------------------------------------------------------------------------


def pascal(name: str) -> str:
    return name[0].upper() + name[1:]


def live_link_csv(path: Path, rows: list[tuple[str, dict[str, float]]], *,
                  drop: tuple[str, ...] = (), shuffle: bool = True,
                  head: bool = True) -> Path:
    """A Live Link Face CSV; ``shuffle`` reverses the blendshape columns (order must not matter)."""
    shapes = [pascal(n) for n in ARKIT_NAMES if pascal(n) not in drop]
    if shuffle:
        shapes = shapes[::-1]
    extra = ["HeadYaw", "HeadPitch", "HeadRoll"] if head else []
    header = ["Timecode", "BlendShapeCount", *shapes, *extra]
    lines = [",".join(header)]
    for timecode, values in rows:
        cells = [timecode, "61"]
        cells += [f"{values.get(s, 0.0):.4f}" for s in shapes]
        cells += [f"{values.get(s, 0.0):.6f}" for s in extra]
        lines.append(",".join(cells))
    path.write_text("\n".join(lines) + "\n")
    return path


def test_parse_timecode() -> None:
    assert parse_timecode("00:00:01:30.500", rate=60) == pytest.approx(1.0 + 30.5 / 60)
    assert parse_timecode("01:02:03:04", rate=30) == pytest.approx(3723 + 4 / 30)
    with pytest.raises(ParameterError, match="expected below the rate"):
        parse_timecode("00:00:00:30", rate=30)
    with pytest.raises(ParameterError, match="HH:MM:SS:FF"):
        parse_timecode("12.5", rate=30)


def test_live_link_timing_sides_and_values(tmp_path: Path) -> None:
    rows = []
    for k in range(130):  # 60 fps timecode, starting mid-second, crossing two seconds
        frame = 50 + k
        tc = f"17:02:{28 + frame // 60:02d}:{frame % 60:02d}.250"
        rows.append((tc, {"MouthSmileLeft": 0.8 if k == 3 else 0.0, "EyeBlinkRight": 0.5,
                          "HeadYaw": 0.1}))
    rec = read_live_link(live_link_csv(tmp_path / "take.csv", rows))
    assert rec.timecode_rate == 60.0
    assert rec.times[0] == 0.0
    assert np.allclose(np.diff(rec.times), 1 / 60)
    assert rec.fps == pytest.approx(60.0)
    assert rec.names == ARKIT_NAMES
    left, right = ARKIT_NAMES.index("mouthSmileLeft"), ARKIT_NAMES.index("mouthSmileRight")
    assert rec.weights[3, left] == pytest.approx(0.8) and rec.weights[3, right] == 0.0
    assert np.all(rec.weights[:, ARKIT_NAMES.index("eyeBlinkRight")] == pytest.approx(0.5))
    assert rec.weights[:, ARKIT_NAMES.index("eyeBlinkLeft")].max() == 0.0
    assert rec.head_pose is not None
    assert rec.head_pose[0, 0] == pytest.approx(np.degrees(0.1), rel=1e-5)


def test_live_link_source_replays_with_recorded_times(tmp_path: Path) -> None:
    rows = [(f"00:00:01:{f:02d}.000", {"JawOpen": f / 30}) for f in (0, 1, 2, 4, 8)]
    path = live_link_csv(tmp_path / "take.csv", rows, head=False)
    with LiveLinkSource(path, timecode_rate=30) as source:
        frames = []
        while (frame := source.read()) is not None:
            frames.append(frame)
    assert [f.time for f in frames] == pytest.approx([0, 1 / 30, 2 / 30, 4 / 30, 8 / 30])
    assert all(f.image is None and f.head_pose is None for f in frames)
    jaw = ARKIT_NAMES.index("jawOpen")
    assert frames[4].shapes is not None and frames[4].shapes[jaw] == pytest.approx(8 / 30, 1e-3)
    assert frames[0].shape_names == ARKIT_NAMES


def test_live_link_short_take_assumes_sixty(tmp_path: Path) -> None:
    rows = [(f"00:00:05:{f:02d}", {}) for f in range(10)]
    rec = read_live_link(live_link_csv(tmp_path / "t.csv", rows))
    assert rec.timecode_rate == 60.0
    assert rec.times[-1] == pytest.approx(9 / 60)


def test_live_link_across_midnight(tmp_path: Path) -> None:
    rows = [("23:59:59:29", {}), ("00:00:00:00", {}), ("00:00:00:01", {})]
    rec = read_live_link(live_link_csv(tmp_path / "t.csv", rows), timecode_rate=30)
    assert rec.times == pytest.approx([0, 1 / 30, 2 / 30])


def test_live_link_missing_column_names_file_and_column(tmp_path: Path) -> None:
    path = live_link_csv(tmp_path / "take.csv", [("00:00:00:00", {})],
                         drop=("MouthSmileLeft",))
    with pytest.raises(TrackingError) as info:
        read_live_link(path)
    message = str(info.value)
    assert message.startswith(str(path)) and "'MouthSmileLeft'" in message
    assert "missing column" in message


def test_live_link_missing_timecode(tmp_path: Path) -> None:
    path = tmp_path / "take.csv"
    path.write_text("Time,JawOpen\n0,0.1\n")
    with pytest.raises(TrackingError, match="missing column 'Timecode'"):
        read_live_link(path)


def test_live_link_bad_value_and_backwards_time(tmp_path: Path) -> None:
    path = live_link_csv(tmp_path / "take.csv", [("00:00:00:00", {}), ("00:00:00:01", {})],
                         shuffle=False)
    text = path.read_text().splitlines()
    cells = text[2].split(",")
    cells[2] = "oops"
    path.write_text("\n".join([*text[:2], ",".join(cells)]) + "\n")
    with pytest.raises(TrackingError, match=r"line 3, BrowDownLeft: 'oops' is not a finite"):
        read_live_link(path)
    back = live_link_csv(tmp_path / "back.csv", [("00:00:01:00", {}), ("00:00:00:10", {})])
    with pytest.raises(TrackingError, match="line 3, Timecode: the timecode runs backwards"):
        read_live_link(back, timecode_rate=30)
