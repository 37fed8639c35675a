"""One pipeline for every input: takes and curve files as inputs, ``convert``, ``serve``, recording
to disk, and process hygiene (signals, file modes, closed pipes, idle monitors)."""

from __future__ import annotations

import os
import re
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import run_cli
from hypothesis import given, settings
from hypothesis import strategies as st
from pythonosc.udp_client import SimpleUDPClient
from receivers import osc_receiver, running_oscdump, values_of, wait_for

from avatardrive._shapes import LIVE_LINK_SHAPES
from avatardrive.curves import Curves, read_au_curves, write_curves
from avatardrive.errors import TrackingError
from avatardrive.facs import CHANNELS, N_CHANNELS
from avatardrive.pipeline import CurveRecorder, CurvesSource, IdleSource, input_kind, load_input
from avatardrive.synth import IDLE_BLOCK_SECONDS, IdleLife, idle_block
from avatardrive.tracking import read_live_link, read_openface

FEATURE_HEADER = ["frame", "face_id", "timestamp", "confidence", "success", "gaze_angle_x",
                  "AU01_r", "AU06_r", "AU12_r", "AU45_r", "AU12_c"]  # fmt: skip
ARKIT_PASCAL = LIVE_LINK_SHAPES  # Live Link Face's column order
ERROR_LINE = re.compile(r"^avatardrive: error: \S+: .+\n$")


def feature_extraction_csv(path: Path, rows: list[list[float]]) -> Path:
    """OpenFace FeatureExtraction's layout: ", " separators with padding."""
    lines = [", ".join(FEATURE_HEADER)]
    lines += [", ".join(f"{v:g}" for v in row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def openface_rows(n: int, *, fps: float = 25.0) -> list[list[float]]:
    rows = []
    for i in range(n):
        smile = 4.0 * np.sin(np.pi * i / (n - 1))
        rows.append([i + 1, 0, i / fps, 0.98, 1, 0.1, 0.5, smile * 0.75, smile, 0.0, 1.0])
    return rows


def test_openface_intensities_map_to_both_sides_with_their_times(tmp_path: Path) -> None:
    path = feature_extraction_csv(tmp_path / "take.csv", openface_rows(25))
    loaded = load_input(path)
    assert loaded.kind == "openface"
    curves = loaded.curves
    assert curves.fps == 25.0 and curves.n_frames == 25 and curves.names == CHANNELS
    left, right = curves.column("AU12_L"), curves.column("AU12_R")
    np.testing.assert_array_equal(left, right)  # OpenFace AUs are not per side
    assert left.max() == pytest.approx(0.8, abs=1e-6)  # 4.0 of 5
    assert np.argmax(left) == 12  # the peak at 0.48 s
    assert curves.column("AU1_L").max() == pytest.approx(0.1)
    assert curves.column("AU4_L").max() == 0.0  # a unit the file does not carry


def test_openface_failed_rows_relax_to_neutral_not_zero_at_once(tmp_path: Path) -> None:
    rows = openface_rows(25)
    for row in rows[14:20]:
        row[3], row[4] = 0.05, 0  # confidence, success: tracking failed
    rows[20][3] = 0.3  # low confidence alone also counts as failed
    take = read_openface(feature_extraction_csv(tmp_path / "lost.csv", rows))
    assert take.valid.tolist() == [True] * 14 + [False] * 7 + [True] * 4
    smile = load_input(tmp_path / "lost.csv").curves.column("AU12_L")
    lost = smile[14:21]
    assert np.all(np.diff(lost) < 0) and lost[0] < smile[13] and lost[-1] < 0.2 * smile[13]


def test_openface_several_faces_reads_the_face_with_most_rows(tmp_path: Path) -> None:
    rows = openface_rows(10)
    extra = [[r[0], 1, r[2], 0.9, 1, 0.0, 0.0, 0.0, 5.0, 0.0, 1.0] for r in rows[:4]]
    path = feature_extraction_csv(tmp_path / "multi.csv", rows + extra)
    take = read_openface(path)
    assert take.face_id == 0 and take.au.shape == (10, N_CHANNELS)
    assert read_openface(path, face=1).au.shape[0] == 4


def livelink_csv(path: Path, times: list[float], smile: list[float]) -> Path:
    header = ["Timecode", "BlendshapeCount", *ARKIT_PASCAL, "HeadYaw", "HeadPitch", "HeadRoll"]
    lines = [",".join(header)]
    for t, value in zip(times, smile, strict=True):
        frames = t * 60.0
        whole = int(frames)
        minutes, seconds = divmod(whole // 60, 60)
        code = (f"10:{20 + minutes:02d}:{seconds:02d}:{whole % 60:02d}."
                f"{round((frames - whole) * 1000):03d}")  # fmt: skip
        shapes = [value if n.startswith("MouthSmile") else 0.0 for n in ARKIT_PASCAL]
        lines.append(",".join([code, "61", *(f"{v:.4f}" for v in shapes), "0", "0", "0"]))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_livelink_take_is_timed_by_its_timecode_not_its_rows(tmp_path: Path) -> None:
    # 60 fps with a gap of 30 dropped frames after row 20: the peak must stay at its timecode.
    times = [i / 60 for i in range(21)] + [(i + 30) / 60 for i in range(21, 60)]
    peak = 45
    smile = [float(np.exp(-(((t - times[peak]) / 0.1) ** 2))) for t in times]
    loaded = load_input(livelink_csv(tmp_path / "take.csv", times, smile))
    assert loaded.kind == "livelink"
    curves = loaded.curves
    assert curves.fps == 60.0
    assert curves.n_frames == round(times[-1] * 60) + 1  # the gap is bridged, not dropped
    au12 = curves.column("AU12_L")
    assert abs(np.argmax(au12) / 60 - times[peak]) <= 1 / 60
    assert au12.max() > 0.5 and np.array_equal(au12, curves.column("AU12_R"))


def test_curve_files_round_trip_through_load_input(tmp_path: Path) -> None:
    values = np.random.default_rng(1).random((30, N_CHANNELS), dtype=np.float32)
    curves = Curves(values, fps=30.0, start=0.0, names=CHANNELS)
    for suffix in (".csv", ".npz", ".json"):
        path = tmp_path / f"c{suffix}"
        write_curves(curves, path)
        loaded = load_input(path)
        assert loaded.kind == "curves"
        np.testing.assert_array_equal(loaded.curves.values, values)


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("AU12_L,AU12_R\n0.1,0.2\n", r"header starts 'AU12_L,AU12_R'.*expected one of: a timeline"),
        ("time,AU99_L\n0,0.1\n0.1,0.2\n", r"column 'AU99_L'.*not an AU channel"),
        ("time,AU12_L\n0,0.1\n0.1,nan\n", r"line 3"),
        ("time,AU12_L\n0,0.1\n0.1,abc\n", r"line 3.*'abc'"),
        ("time,AU12_L\n0.1,0.1\n0,0.2\n", r"line 3"),
        ("", r"empty file; expected one of"),
        ("frame, timestamp, success\n1, 0.0, 1\n", r"no AU intensity column"),
        ("frame, timestamp, AU12_r\n1, 0.0, 1\n2, 0.04, x\n", r"line 3, column 'AU12_r'.*'x'"),
    ],
)
def test_bad_inputs_fail_in_one_line(tmp_path: Path, text: str, pattern: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "out.npz"
    code, _stdout, stderr = run_cli("convert", str(path), "-o", str(out))
    assert code == 2, stderr
    assert ERROR_LINE.match(stderr), stderr
    assert re.search(pattern, stderr), stderr
    assert str(path) in stderr
    assert not out.exists() and not list(tmp_path.glob(".out*"))


def test_unknown_suffix_names_the_formats_tried(tmp_path: Path) -> None:
    path = tmp_path / "take.txt"
    path.write_text("hello\n", encoding="utf-8")
    with pytest.raises(Exception, match=r"OpenFace 2\.x CSV.*Live Link Face CSV"):
        input_kind(path)


def test_convert_writes_every_format_and_export_takes_a_take(tmp_path: Path) -> None:
    take = feature_extraction_csv(tmp_path / "take.csv", openface_rows(25))
    for suffix in (".csv", ".npz", ".json"):
        code, stdout, stderr = run_cli("convert", str(take), "-o", str(tmp_path / f"o{suffix}"))
        assert code == 0, stderr
        assert "25 frames at 25 fps from the openface" in stdout
    back = read_au_curves(tmp_path / "o.npz")
    assert back.column("AU12_L").max() == pytest.approx(0.8, abs=1e-6)
    code, _, stderr = run_cli("export", str(take), "-o", str(tmp_path / "llf.csv"))
    assert code == 0, stderr
    assert load_input(tmp_path / "llf.csv").kind == "livelink"


# -- sources ---------------------------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31), rate=st.sampled_from([0.0, 5.0, 17.0, 60.0]),
       fps=st.sampled_from([24.0, 60.0]))
def test_idle_blocks_are_finite_deterministic_and_only_blink(seed: int, rate: float,
                                                             fps: float) -> None:  # fmt: skip
    first = idle_block(3, fps=fps, blink_rate=rate, seed=seed)
    assert first.shape == (round(IDLE_BLOCK_SECONDS * fps), N_CHANNELS)
    assert np.all(np.isfinite(first)) and first.min() >= 0.0 and first.max() <= 1.0
    np.testing.assert_array_equal(first, idle_block(3, fps=fps, blink_rate=rate, seed=seed))
    moving = {CHANNELS[j] for j in np.flatnonzero(first.max(axis=0) > 0)}
    assert moving <= {"AU45_L", "AU45_R"}


def test_idle_source_blinks_at_the_rate_across_block_edges() -> None:
    source = IdleSource(IdleLife(fps=60.0, blink_rate=20.0, seed=4, gaze=None))
    column = CHANNELS.index("AU45_L")
    values = np.array([source(i / 60.0)[column] for i in range(60 * 300)])
    closed = values > 0.3
    starts = np.flatnonzero(np.diff(closed.astype(int)) == 1)
    per_minute = len(starts) / 5.0
    assert 12 <= per_minute <= 28
    assert np.diff(starts).min() >= 0.4 * 60  # no double blink at a block edge


def test_curves_source_holds_or_loops() -> None:
    values = np.arange(3 * N_CHANNELS, dtype=np.float32).reshape(3, N_CHANNELS) / 1000
    curves = Curves(values, fps=10.0, start=0.0, names=CHANNELS)
    assert CurvesSource(curves)(5.0)[0] == values[2, 0]
    assert CurvesSource(curves, loop=True)(0.3)[0] == values[0, 0]


def test_recorder_writes_incrementally_and_aborts_cleanly(tmp_path: Path) -> None:
    target = tmp_path / "rec.npz"
    recorder = CurveRecorder(target, fps=30.0)
    frame = np.zeros(N_CHANNELS, dtype=np.float32)
    for i in range(100):
        frame[0] = i / 100
        frame[1] = np.nan
        recorder.write(frame)
    assert recorder.bytes_written == 100 * N_CHANNELS * 4
    assert not target.exists()  # nothing in place until the end
    assert recorder.close() == 100
    back = read_au_curves(target)
    assert back.n_frames == 100 and back.values[99, 0] == pytest.approx(0.99)
    assert np.all(back.values[:, 1] == 0.0)  # NaN never reaches the file
    assert [p.name for p in tmp_path.iterdir()] == ["rec.npz"]
    aborted = CurveRecorder(tmp_path / "gone.csv", fps=30.0)
    aborted.write(frame)
    aborted.abort()
    assert [p.name for p in tmp_path.iterdir()] == ["rec.npz"]


# -- streaming through real sockets ---------------------------------------------------------


def cli_process(*argv: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "avatardrive", *argv], text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip


def test_record_then_play_gives_back_the_recorded_values(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    values = np.zeros((30, N_CHANNELS), dtype=np.float32)
    values[:, CHANNELS.index("AU12_L")] = rng.random(30, dtype=np.float32)
    recorder = CurveRecorder(tmp_path / "take.csv", fps=10.0)  # 10 Hz: slack for a busy receiver
    for row in values:
        recorder.write(row)
    recorder.close()
    with osc_receiver() as (port, received):
        code, stdout, stderr = run_cli("play", str(tmp_path / "take.csv"), "--rate", "10",
                                       "--to", f"osc://127.0.0.1:{port}?au=1&rig=facs")  # fmt: skip
        assert code == 0, stderr
        assert wait_for(lambda: len(values_of(received, "/avatardrive/au/AU12_L")) >= 31), (
            stdout, len(received), values_of(received, "/avatardrive/au/AU12_L"))
    sent = np.array(values_of(received, "/avatardrive/au/AU12_L"), dtype=np.float32)
    np.testing.assert_array_equal(sent[:30], values[:, CHANNELS.index("AU12_L")])
    assert sent[-1] == 0.0  # the closing neutral frame
    assert "(curves)" in stdout


def test_serve_blinks_by_itself_and_smiles_on_command(tmp_path: Path) -> None:
    control = _free_udp_port()
    with osc_receiver() as (port, received):
        process = cli_process("serve", "--to", f"osc://127.0.0.1:{port}?au=1&rig=facs",
                              "--control", str(control), "--blink-rate", "40", "--seed", "2",
                              "--seconds", "6")  # fmt: skip
        try:
            assert wait_for(lambda: len(values_of(received, "/avatardrive/au/AU45_L")) > 60)
            assert wait_for(lambda: max(values_of(received, "/avatardrive/au/AU45_L")) > 0.5,
                            timeout=5.0)  # fmt: skip
            assert max(values_of(received, "/avatardrive/au/AU12_L")) == 0.0  # no smile yet
            client = SimpleUDPClient("127.0.0.1", control)
            client.send_message("/avatardrive/emotion", ["happiness", 0.8])
            client._sock.close()
            assert wait_for(lambda: max(values_of(received, "/avatardrive/au/AU12_L")) > 0.4,
                            timeout=5.0)  # fmt: skip
        finally:
            stdout, stderr = process.communicate(timeout=20)
    assert process.returncode == 0, stderr
    assert "control: 1 commands, 0 ignored" in stdout
    assert values_of(received, "/avatardrive/au/AU12_L")[-1] == 0.0


def _free_udp_port() -> int:
    from receivers import free_port

    return free_port()


@pytest.mark.parametrize("command", ["play", "serve"])
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_stop_signal_sends_a_neutral_frame(oscdump: str, tmp_path: Path, command: str,
                                             signum: int) -> None:  # fmt: skip
    timeline = tmp_path / "smile.toml"
    timeline.write_text('version = 1\nduration = 60\n[blink]\nrate = 0\n[[events]]\n'
                        'emotion = "happiness"\nstart = 0.0\nonset = 0.2\napex = 50\n')  # fmt: skip
    with running_oscdump(oscdump) as (port, lines):
        url = f"osc://127.0.0.1:{port}?au=1&rig=facs"
        extra = [str(timeline)] if command == "play" else ["--control", str(_free_udp_port())]
        process = cli_process(command, *extra, "--to", url)
        try:
            assert wait_for(lambda: sum("/avatardrive/au/AU12_L" in ln for ln in lines) > 30)
            process.send_signal(signum)
            stdout, stderr = process.communicate(timeout=20)
        finally:
            process.kill()
        count = sum("/avatardrive/au/AU12_L" in ln for ln in lines)
        assert wait_for(lambda: any("/avatardrive/au/AU45_L" in ln for ln in lines[-200:]))
    assert process.returncode == 0, stderr
    assert "stopped; sent a neutral frame" in stdout and "played" in stdout
    last = [ln for ln in lines if "/avatardrive/au/AU12_L" in ln][-1]
    assert float(last.split()[-1]) == 0.0
    if command == "play":
        assert max(float(ln.split()[-1]) for ln in lines if "/avatardrive/au/AU12_L" in ln) > 0.5
    assert count > 30


# -- process hygiene --------------------------------------------------------------------------


def test_files_get_the_umask_mode(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        code, _, stderr = run_cli("render", "demo/timelines/conversation.toml", "-o",
                                  str(tmp_path / "c.npz"))  # fmt: skip
        assert code == 0, stderr
        recorder = CurveRecorder(tmp_path / "r.csv", fps=10.0)
        recorder.write(np.zeros(N_CHANNELS, dtype=np.float32))
        recorder.close()
    finally:
        os.umask(previous)
    for name in ("c.npz", "r.csv"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o644


def test_a_closed_stdout_pipe_ends_quietly() -> None:
    done = subprocess.run(f"'{sys.executable}' -m avatardrive emotions | head -1", shell=True,
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.stdout.count("\n") == 1
    assert done.stderr == "", done.stderr


def test_monitor_idle_ends_when_no_sender_ever_starts() -> None:
    began = time.monotonic()
    code, stdout, stderr = run_cli("monitor", "--port", "0", "--idle", "1")
    assert code == 0, stderr
    assert time.monotonic() - began < 5
    assert "frames 0" in stdout


def test_live_without_a_destination_says_nothing_is_streamed(tmp_path: Path) -> None:
    take = livelink_csv(tmp_path / "take.csv", [i / 60 for i in range(30)], [0.0] * 30)
    code, stdout, stderr = run_cli("live", "--livelink", str(take), "--fast", "--no-calibrate")
    assert code == 0, stderr
    assert stdout.startswith("not streaming: no --to destination given")


def test_plot_takes_a_recorded_take(tmp_path: Path, qt: object) -> None:
    take = feature_extraction_csv(tmp_path / "take.csv", openface_rows(25))
    code, stdout, stderr = run_cli("plot", str(take), "-o", str(tmp_path / "take.png"))
    assert code == 0, stderr
    assert "0 events" in stdout and (tmp_path / "take.png").stat().st_size > 10_000


def test_livelink_take_streams_rows_into_blocks(tmp_path: Path) -> None:
    times = [i / 60 for i in range(9000)]  # two blocks and a bit
    take = read_live_link(livelink_csv(tmp_path / "long.csv", times, [0.5] * len(times)))
    assert take.weights.shape == (9000, 52) and take.weights.dtype == np.float32
    np.testing.assert_allclose(take.times[-1], 8999 / 60, atol=1e-6)


@pytest.mark.parametrize(
    ("content", "pattern"),
    [
        ("Timecode,X\n".encode("utf-16"), r"UTF-16 text; expected a UTF-8"),
        (b"Timecode,\xff\xfe\x00\n", r"byte \d+ is not UTF-8"),
        (b"Timecode," + b"9" * 5000 + b"\n", r"line 1: a cell longer than 1000 characters"),
    ],
)
def test_livelink_bad_text_is_one_clear_error(tmp_path: Path, content: bytes,
                                              pattern: str) -> None:  # fmt: skip
    path = tmp_path / "take.csv"
    path.write_bytes(content)
    with pytest.raises(TrackingError, match=pattern):
        read_live_link(path)


def test_live_livelink_take_is_not_calibrated_unless_asked(tmp_path: Path) -> None:
    take = livelink_csv(tmp_path / "smiling.csv", [i / 60 for i in range(120)], [0.8] * 120)
    record = tmp_path / "tracked.csv"
    code, stdout, stderr = run_cli("live", "--livelink", str(take), "--fast", "--no-filter",
                                   "--record", str(record))  # fmt: skip
    assert code == 0, stderr
    assert "already relative to a rest face: no calibration" in stdout
    smile = read_au_curves(record).column("AU12_L")
    assert smile[0] > 0.4 and smile.min() > 0.4  # a smile from the first frame is kept
    asked = ("--calibrate-seconds", "0.5", "--record", str(record))
    code, stdout, stderr = run_cli("live", "--livelink", str(take), "--fast", "--no-filter", *asked)
    assert code == 0, stderr
    assert read_au_curves(record).column("AU12_L")[-1] < 0.1  # asked: the smile is the neutral
