"""Hostile and unusual inputs: each is a clean one-line error or a finite, in-range result.

Regression tests for issue 10; the generated cases live in ``test_fuzz.py``.
"""

from __future__ import annotations

import math
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from avatardrive.facs import CHANNELS
from avatardrive.synth import blink_schedule, render
from avatardrive.timeline import Timeline, loads_timeline
from tests.conftest import run_cli

#: One line, short: "avatardrive: error: <file>: <where>: <what>; expected <what>".
SHORT_LINE = 500


def assert_clean_error(code: int, stderr: str, pattern: str = r"expected") -> None:
    assert code == 2, stderr
    assert stderr.count("\n") == 1 and stderr.startswith("avatardrive: error: "), stderr[:300]
    assert len(stderr) <= SHORT_LINE, f"{len(stderr)} characters: {stderr[:300]}"
    assert re.search(pattern, stderr), stderr


# --- 1. short timelines ---------------------------------------------------------------------


def test_one_second_timeline_with_seed_1_renders(tmp_path: Path) -> None:
    timeline = tmp_path / "short.toml"
    timeline.write_text("version = 1\nseed = 1\nduration = 1.0\n")
    code, _, err = run_cli("render", str(timeline), "-o", str(tmp_path / "out.npz"))
    assert code == 0, err
    assert (tmp_path / "out.npz").exists()


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("duration", [0.001, 0.2, 1.0, 2.0, 5.0])
def test_short_timelines_render_for_every_seed(seed: int, duration: float) -> None:
    curves = render(Timeline(seed=seed, duration=duration, blink_rate=17))
    assert curves.n_frames == max(1, round(duration * 60))
    assert np.isfinite(curves.values).all()
    assert curves.values.min() >= 0.0 and curves.values.max() <= 1.0


@pytest.mark.parametrize("seed", [1, 2])
def test_lone_micro_expression_renders(seed: int) -> None:
    timeline = loads_timeline(
        f"version = 1\nseed = {seed}\n[[events]]\nemotion = 'happiness'\nmicro = true\nstart = 0\n"
    )
    curves = render(timeline)
    assert curves.names == CHANNELS
    assert 0.0 < curves.values.max() <= 1.0


def test_blink_schedule_may_be_empty_when_the_first_blink_falls_past_the_end() -> None:
    empties = [s for s in range(50) if len(blink_schedule(1.0, rate=17, seed=s)) == 0]
    assert empties, "some seed should draw its first blink after one second at 17 per minute"
    for seed in range(50):
        schedule = blink_schedule(1.0, rate=17, seed=seed)
        assert all(0.0 <= t < 1.0 for t in schedule.starts)
    assert math.isclose(len(blink_schedule(600.0, rate=17, seed=1)) / 10.0, 17, rel_tol=0.2)


# --- 2-3. numbers, nesting and short error lines -------------------------------------------

EVENT = "version = 1\n[[events]]\nemotion = 'happiness'\nstart = 1\n"

TIMELINES = {
    "intensity of 400 digits": (EVENT + "intensity = " + "9" * 400 + "\n", r"intensity"),
    "number of 5,000 digits": (EVENT + "intensity = " + "9" * 5000 + "\n", r"5000 digits"),
    "AU key of 5,000 digits": (
        "version = 1\n[[events]]\nstart = 1\naus = { AU" + "1" * 5000 + " = 0.5 }\n",
        r"unknown AU",
    ),
    "start 1e308, no duration": (
        "version = 1\n[[events]]\nemotion = 'happiness'\nstart = 1e308\n",
        r"needs endless .*expected under",
    ),
    "duration 1e12": ("version = 1\nduration = 1e12\n", r"1\.92e\+07 GiB"),
    "arrays nested 5,000 deep": ("version = 1\nx = " + "[" * 5000 + "]" * 5000 + "\n", r"nests"),
    "tables nested 5,000 deep": ("version = 1\nx = " + "{a=" * 5000 + "1" + "}" * 5000, r"nests"),
    "emotion of 100,000 characters": (
        "version = 1\n[[events]]\nemotion = '" + "x" * 100_000 + "'\nstart = 1\n",
        r"unknown emotion 'x+\.\.\.x+'",
    ),
    "key of 100,000 characters": ("version = 1\n" + "k" * 100_000 + " = 1\n", r"unknown key"),
    "seed of 400 digits": ("version = 1\nseed = " + "7" * 400 + "\n", r"seed: <an integer of 400"),
}

JSON_TIMELINES = {
    "intensity of 400 digits": (
        '{"version": 1, "events": [{"emotion": "happiness", "start": 1, "intensity": '
        + "9" * 400
        + "}]}",
        r"intensity <an integer of 400 digits>",
    ),
    "number of 5,000 digits": ('{"version": 1, "seed": ' + "1" * 5000 + "}", r"5000 digits"),
    "arrays nested 100,000 deep": (
        '{"version": 1, "x": ' + "[" * 100_000 + "]" * 100_000 + "}",
        r"nests too deeply",
    ),
}


@pytest.mark.parametrize("name", TIMELINES)
def test_hostile_timeline_numbers_and_nesting_are_one_short_line(tmp_path: Path, name: str) -> None:
    text, pattern = TIMELINES[name]
    path = tmp_path / "t.toml"
    path.write_text(text)
    for command in ("validate", "render"):
        argv = [command, str(path)] + (
            ["-o", str(tmp_path / "o.npz")] if command == "render" else []
        )
        code, _, err = run_cli(*argv)
        assert_clean_error(code, err, pattern)
    assert not (tmp_path / "o.npz").exists()


@pytest.mark.parametrize("name", JSON_TIMELINES)
def test_hostile_json_timelines_are_one_short_line(tmp_path: Path, name: str) -> None:
    text, pattern = JSON_TIMELINES[name]
    path = tmp_path / "t.json"
    path.write_text(text)
    assert_clean_error(*run_cli("validate", str(path))[::2], pattern)


RIGS = {
    "gain of 400 digits": ("gain = " + "9" * 400, r"gain: <an integer of 400 digits> is too large"),
    "weight of 5,000 digits": ("offset = " + "9" * 5000, r"5000 digits"),
    "gain 1e-50": ("gain = 1e-50", r"gain: 1e-50 is too small to invert"),
    "AU key of 5,000 digits": (
        "terms = [{ of = ['AU" + "1" * 5000 + "'], weight = 1 }]",
        r"unknown AU channel 'AU1+\.\.\.1+'",
    ),
    "exponent 1e-300": ("curve = 'power'\nexponent = 1e-300", r"exponent: 1e-300 is too small"),
    "nested arrays": ("clamp = " + "[" * 3000 + "]" * 3000, r"nests too deeply"),
    "curve name of 100,000 characters": ("curve = '" + "c" * 100_000 + "'", r"not a response"),
}


@pytest.mark.parametrize("name", RIGS)
def test_hostile_rig_values_are_one_short_line(tmp_path: Path, name: str) -> None:
    line, pattern = RIGS[name]
    path = tmp_path / "r.toml"
    path.write_text(f"version = 1\n[[shapes]]\nname = 'a'\ninputs = {{ AU12 = 1.0 }}\n{line}\n")
    assert_clean_error(*run_cli("rig", "check", str(path))[::2], pattern)


def test_error_messages_quote_only_an_excerpt() -> None:
    from avatardrive.errors import TimelineError, excerpt

    assert excerpt("x" * 100_000).startswith("'xxx") and len(excerpt("x" * 100_000)) <= 60
    assert excerpt(10**400) == "<an integer of 401 digits>"
    assert len(excerpt([[[[[[[1]]]]]]] * 1000)) <= 60
    assert excerpt("a\nb") == "'a\\nb'"
    error = TimelineError("y" * 10_000 + "; expected z", source="s" * 500, where="line 1\n2")
    assert len(str(error)) < 700 and "\n" not in str(error)  # path 260, place 100, text 320
    assert str(error).endswith("; expected z")


# --- 4. files that are not files --------------------------------------------------------------


def finishes(function: Any, *args: Any, seconds: float = 60.0) -> Any:
    """``function(*args)``, failing the test if it hangs (a FIFO opened for reading would)."""
    outcome: list[Any] = []

    def call() -> None:
        try:
            outcome.append((True, function(*args)))
        except BaseException as error:  # handed to the test's thread
            outcome.append((False, error))

    worker = threading.Thread(target=call, daemon=True)
    worker.start()
    worker.join(seconds)
    assert outcome, f"{getattr(function, '__name__', function)} hung on {args}"
    done, value = outcome[0]
    if not done:
        raise value
    return value


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "pipe.toml"
    os.mkfifo(path)  # nobody writes: opening it for reading would block for ever
    return path


def _symlink(tmp_path: Path, name: str, target: str) -> Path:
    link = tmp_path / name
    link.symlink_to(target)
    return link


@pytest.mark.parametrize("command", ["validate", "render", "rig-check", "curves"])
@pytest.mark.parametrize("kind", ["fifo", "/dev/zero", "link to /dev/zero"])
def test_fifos_and_devices_are_refused_quickly(
    tmp_path: Path, fifo: Path, command: str, kind: str
) -> None:
    suffix = ".csv" if command == "curves" else ".toml"
    if kind == "fifo":
        path = fifo.rename(tmp_path / f"pipe{suffix}")
    elif kind == "/dev/zero":
        path = Path("/dev/zero")
    else:
        path = _symlink(tmp_path, f"zero{suffix}", "/dev/zero")
    argv = {
        "validate": ["validate", str(path)],
        "render": ["render", str(path), "-o", str(tmp_path / "o.csv")],
        "rig-check": ["rig", "check", str(path)],
        "curves": ["render", str(tmp_path / "t.toml"), "-o", str(tmp_path / "o.csv")],
    }[command]
    if command == "curves":  # a curve file read through the library
        from avatardrive.curves import read_curves
        from avatardrive.errors import CurveError

        if kind == "/dev/zero":
            pytest.skip("a suffix-less device is refused by its suffix already")
        refused = r"is a (FIFO \(named pipe\)|character device); expected a curve"
        with pytest.raises(CurveError, match=refused):
            finishes(read_curves, path)
        return
    code, _, err = finishes(run_cli, *argv)
    assert_clean_error(code, err, r"is a (FIFO \(named pipe\)|character device); expected")


def test_an_include_of_a_fifo_is_refused(tmp_path: Path, fifo: Path) -> None:
    rig = tmp_path / "r.toml"
    rig.write_text(f"version = 1\ninclude = ['{fifo.name}']\n")
    code, _, err = finishes(run_cli, "rig", "check", str(rig))
    assert_clean_error(code, err, r"pipe\.toml: is a FIFO")


def test_size_limit_holds_while_reading_a_file_that_reports_no_size() -> None:
    from avatardrive._files import read_text
    from avatardrive.errors import TimelineError

    assert Path("/proc/self/maps").stat().st_size == 0  # a regular file that says it is empty
    with pytest.raises(TimelineError, match=r"more than 64 bytes; expected a test file"):
        read_text("/proc/self/maps", error=TimelineError, expected="a test file", max_bytes=64)


def test_repeated_include_is_refused_quickly(tmp_path: Path) -> None:
    rig = tmp_path / "r.toml"
    rig.write_text("version = 1\ninclude = [" + ", ".join(["'arkit52'"] * 20_000) + "]\n")
    # refused from the list itself, before any included rig is read (bench_hardening: the time)
    assert_clean_error(*run_cli("rig", "check", str(rig))[::2], r"include: 20000 entries; expected")
    rig.write_text("version = 1\ninclude = ['arkit52', 'ARKit52']\n")
    assert_clean_error(*run_cli("rig", "check", str(rig))[::2], r"repeats include\[0\]")


# --- 5. rigs whose inverse is unstable ----------------------------------------------------------


@pytest.mark.parametrize(
    "shapes",
    [
        "[[shapes]]\nname = 'a'\ninputs = { AU12 = 1.0 }\ngain = 1e6\noffset = -1e6\n",
        "[[shapes]]\nname = 'a'\ninputs = { AU12_L = 1.0, AU12_R = 1e-30 }\n"
        "[[shapes]]\nname = 'b'\ninputs = { AU12_L = 1.0, AU12_R = 1.0 }\n",
        "[[shapes]]\nname = 'a'\ninputs = { AU1 = 1e6, AU2 = 1e-6 }\ngain = 1e-6\n"
        "[[shapes]]\nname = 'b'\ninputs = { AU1 = 1e6, AU2 = 1e6 }\ngain = 1e6\noffset = -1e6\n",
    ],
)
def test_ill_conditioned_rigs_invert_to_finite_values(shapes: str) -> None:
    from avatardrive.retarget import loads_rig

    rig = loads_rig("version = 1\n" + shapes)
    for weights in (np.zeros(rig.n_shapes), np.full(rig.n_shapes, 0.5), np.ones(rig.n_shapes)):
        au = rig.inverse_frame(weights.astype(np.float32))
        assert np.isfinite(au).all() and au.min() >= 0.0 and au.max() <= 1.0


def test_big_rig_check_is_linear_in_its_shape_count(tmp_path: Path) -> None:
    lines = ["version = 1"]
    for i in range(5000):
        lines += [
            "[[shapes]]",
            f"name = 's{i}'",
            f"inputs = {{ {CHANNELS[i % len(CHANNELS)]} = 1 }}",
        ]
    rig = tmp_path / "big.toml"
    rig.write_text("\n".join(lines) + "\n")
    code, out, err = run_cli("rig", "check", str(rig))  # bench_hardening measures 10,000
    assert code == 0, err
    assert "5000 shapes" in out


# --- 6. curve files in other encodings ----------------------------------------------------------

HEADER = "time," + ",".join(CHANNELS) + "\n"
LONG_CELL = r"line 2: (column 'AU1_L'|cannot be read as CSV \(field larger)"
ROW = "0," + ",".join(["0"] * len(CHANNELS)) + "\n"


@pytest.mark.parametrize(
    ("data", "pattern"),
    [
        ((HEADER + ROW).encode("utf-16"), r"is UTF-16 text; expected UTF-8"),
        ((HEADER + ROW).encode() + b"0.1,\xff\xfe\n", r"not UTF-8 text"),
        (bytes(range(256)) * 20, r"not UTF-8 text"),
        ((HEADER + "0," + "1" * 200_000 + "," + ROW[2:]).encode(), LONG_CELL),
        ((HEADER + '0,"' + "1" * 200_000 + '",' + ROW[2:]).encode(), LONG_CELL),
    ],
    ids=["utf-16", "invalid utf-8", "binary", "long cell", "long quoted cell"],
)
def test_curve_csv_in_other_encodings_is_one_line(
    tmp_path: Path, data: bytes, pattern: str
) -> None:
    from avatardrive.curves import read_curves
    from avatardrive.errors import CurveError

    path = tmp_path / "c.csv"
    path.write_bytes(data)
    with pytest.raises(CurveError, match=pattern) as caught:
        read_curves(path)
    assert len(str(caught.value)) < SHORT_LINE and "\n" not in str(caught.value)


def test_curve_json_with_5000_digit_number_is_one_line(tmp_path: Path) -> None:
    from avatardrive.curves import read_curves
    from avatardrive.errors import CurveError

    path = tmp_path / "c.json"
    path.write_text('{"version": 1, "fps": ' + "9" * 5000 + ', "start": 0}')
    with pytest.raises(CurveError, match=r"invalid JSON: a number has 5000 digits"):
        read_curves(path)


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ('{"format": "avatardrive-calibration", "version": ' + "9" * 5000 + "}", r"5000 digits"),
        ("[" * 100_000 + "]" * 100_000, r"nests too deeply"),
        ('{"format": "avatardrive-calibration", "x": NaN}', r"NaN is not a number"),
    ],
)
def test_hostile_calibration_files_are_one_line(tmp_path: Path, text: str, pattern: str) -> None:
    from avatardrive.errors import TrackingError
    from avatardrive.tracking import load_calibration

    path = tmp_path / "c.json"
    path.write_text(text)
    with pytest.raises(TrackingError, match=pattern):
        load_calibration(path)


# --- 7. output failures -----------------------------------------------------------------------

CHILD = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writing past the limit fails with EFBIG
resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))
from avatardrive.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize(
    "argv",
    [
        ["render", "{t}", "-o", "{o}.npz"],
        ["render", "{t}", "-o", "{o}.csv"],
        ["render", "{t}", "-o", "{o}.json"],
        ["render", "{t}", "-o", "{o}.npz", "--rig", "arkit52"],
        ["export", "{t}", "-o", "{o}.csv"],
        ["export", "{t}", "-o", "{o}.npz", "--format", "weights", "--rig", "vrm1"],
    ],
    ids=["npz", "csv", "json", "rig npz", "export livelink", "export weights"],
)
def test_a_write_that_fails_for_space_is_one_line_and_leaves_nothing(
    tmp_path: Path, argv: list[str]
) -> None:
    timeline = tmp_path / "t.toml"
    timeline.write_text(
        "version = 1\nduration = 60\n[[events]]\nemotion = 'happiness'\nstart = 1\n"
    )
    out = tmp_path / "out" / "o"
    out.parent.mkdir()
    args = [a.format(t=timeline, o=out) for a in argv]
    child = subprocess.run(
        [sys.executable, "-c", CHILD, *args], capture_output=True, text=True, timeout=120
    )
    assert child.returncode == 2, child.stderr
    assert child.stderr.count("\n") == 1, child.stderr  # no ZipFile.__del__ noise
    assert re.match(r"avatardrive: error: .*(File too large|No space left)", child.stderr)
    assert list(out.parent.iterdir()) == []


def test_sigterm_during_a_long_render_removes_the_temporary_file(tmp_path: Path) -> None:
    timeline = tmp_path / "t.toml"
    timeline.write_text("version = 1\nfps = 30\nduration = 86400\n")
    out = tmp_path / "out"
    out.mkdir()
    child = subprocess.Popen(
        [sys.executable, "-m", "avatardrive", "render", str(timeline), "-o", str(out / "o.npz")],
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not list(out.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [p.suffix for p in out.iterdir()] == [".tmp"]
    child.send_signal(signal.SIGTERM)
    _, err = child.communicate(timeout=60)
    assert child.returncode == 128 + signal.SIGTERM
    assert err.rstrip().endswith("avatardrive: terminated")
    assert list(out.iterdir()) == []


# --- 8. big but valid work ----------------------------------------------------------------------


@pytest.mark.parametrize("blend", ["max", "sum", "priority"])
@pytest.mark.parametrize("chunk", [1, 97, 4096])
def test_chunked_render_equals_the_whole_render_bit_for_bit(blend: str, chunk: int) -> None:
    from avatardrive.synth import ChunkedRender

    timeline = Timeline(seed=11, fps=30, blend=blend, blink_rate=40, duration=40)  # type: ignore[arg-type]
    for k, name in enumerate(["happiness", "anger", "contempt", "surprise", "sadness"] * 3):
        timeline.emotion(name, at=k * 2.5, intensity=0.3 + 0.04 * k, priority=k % 3)
    timeline.micro("fear", at=20.0)
    timeline.aus({"AU12_L": 0.7, "AU45": "C"}, at=30.0)
    whole = render(timeline).values
    chunks = list(ChunkedRender(timeline, chunk_frames=chunk))
    assert sum(c.n_frames for c in chunks) == whole.shape[0]
    assert np.array_equal(np.concatenate([c.values for c in chunks]), whole)
    assert len(chunks) == -(-whole.shape[0] // chunk)
    assert [c.start for c in chunks[:2]] == pytest.approx([0.0, chunk / 30][: len(chunks)])


@pytest.mark.parametrize("suffix", [".csv", ".npz", ".json"])
@pytest.mark.parametrize("rig", [None, "arkit52"])
def test_render_command_writes_the_same_file_in_chunks(
    tmp_path: Path, suffix: str, rig: str | None
) -> None:
    from avatardrive.curves import read_curves
    from avatardrive.retarget import load_rig

    path = tmp_path / "t.toml"
    path.write_text(
        "version = 1\nfps = 30\nseed = 4\nduration = 30\n[[events]]\nemotion = 'happiness'\n"
        "start = 2\n[[events]]\nemotion = 'anger'\nstart = 20\n"
    )
    out = tmp_path / f"o{suffix}"
    code, text, err = run_cli("render", str(path), "-o", str(out), *(["--rig", rig] if rig else []))
    assert code == 0, err
    assert re.match(r"wrote .*: 900 frames x \d+ (channels|shapes of rig arkit52) at 30 fps", text)
    expected = render(loads_timeline(path.read_text()))
    if rig is not None:
        expected = load_rig(rig).forward(expected)
    written = read_curves(out)
    assert written.names == expected.names
    assert np.array_equal(written.values, expected.values)


def test_100000_events_are_refused_up_front(tmp_path: Path) -> None:
    path = tmp_path / "many.toml"
    path.write_text("version = 1\n" + "[[events]]\nemotion = 'happiness'\nstart = 1\n" * 100_000)
    assert_clean_error(*run_cli("validate", str(path))[::2], r"100000 events; expected at most")


def test_an_image_of_20000_by_20000_pixels_is_refused_before_decoding(tmp_path: Path) -> None:
    import struct
    import zlib

    from avatardrive.errors import TrackingError
    from avatardrive.tracking import ImageFolderSource

    width = height = 20_000  # 1.2 GB once decoded; about 1 MB as a PNG of zeros
    squeeze = zlib.compressobj(9)
    row = bytes(1 + 3 * width)
    data = b"".join(squeeze.compress(row) for _ in range(height)) + squeeze.flush()

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    (tmp_path / "1.png").write_bytes(png)
    refused = pytest.raises(TrackingError, match=r"frame 0: 400000000 pixels is too large")
    with ImageFolderSource(tmp_path, fps=30) as source, refused:
        source.read()


# --- the clock after SIGSTOP / SIGCONT ------------------------------------------------------------

TICKER = """
import sys, time
from avatardrive.transport import FrameClock
clock = FrameClock(60.0)
print("ready", flush=True)
for tick in clock.ticks(frames=150):
    print(tick.index, tick.skipped, time.monotonic(), flush=True)
"""


def test_a_stopped_stream_skips_the_lost_frames_instead_of_bursting() -> None:
    with subprocess.Popen(
        [sys.executable, "-c", TICKER], stdout=subprocess.PIPE, text=True, bufsize=1
    ) as child:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        time.sleep(0.6)
        child.send_signal(signal.SIGSTOP)
        time.sleep(0.8)  # about 48 frames of 60 Hz lost while stopped
        child.send_signal(signal.SIGCONT)
        lines = [line.split() for line in child.stdout.read().splitlines()]
        assert child.wait(timeout=30) == 0
    indices = [int(index) for index, _, _ in lines]
    skipped = [int(skip) for _, skip, _ in lines]
    times = [float(at) for _, _, at in lines]
    assert indices == sorted(set(indices)) and indices[-1] >= 140
    jumps = np.diff([0, *skipped])  # ``skipped`` counts all frames skipped so far
    assert jumps.max() >= 30  # the frames of the stop were skipped in one go ...
    assert len(indices) + skipped[-1] == indices[-1] + 1
    gaps = np.diff(times)
    bunched = np.convolve(gaps < 0.004, np.ones(3), mode="valid")
    assert bunched.max(initial=0) < 3  # ... not sent in a burst after SIGCONT


def test_a_byte_order_mark_is_accepted_and_a_rig_name_too_long_for_a_path_is_one_line(
    tmp_path: Path,
) -> None:
    path = tmp_path / "bom.toml"
    path.write_bytes("\ufeffversion = 1\nduration = 2\n".encode())
    code, out, err = run_cli("validate", str(path))
    assert code == 0 and "ok - 0 events, 2.00 s" in out, err
    code, _, err = run_cli("rig", "show", "x" * 10_000)
    assert_clean_error(code, err, r"unknown rig 'x+\.\.\.x+'; expected a built-in rig")


def test_outputs_get_the_permissions_of_the_umask(tmp_path: Path) -> None:
    from avatardrive.curves import write_curves

    previous = os.umask(0o027)
    try:
        write_curves(render(Timeline(duration=0.5)), tmp_path / "o.csv")
    finally:
        os.umask(previous)
    assert (tmp_path / "o.csv").stat().st_mode & 0o777 == 0o640  # not mkstemp's 0600


def test_npz_arrays_are_bounded_by_their_declared_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import zipfile

    from avatardrive.curves import _npz, read_curves, write_curves
    from avatardrive.errors import CurveError

    write_curves(render(Timeline(duration=2.0)), tmp_path / "c.npz")
    monkeypatch.setattr(_npz, "MAX_ARRAY_BYTES", 10_000)  # stands in for 4 GiB: a zip bomb
    with pytest.raises(CurveError, match=r"array 'values': holds \d+ bytes uncompressed"):
        read_curves(tmp_path / "c.npz")
    monkeypatch.undo()
    with zipfile.ZipFile(tmp_path / "bomb.npz", "w") as archive:  # a header claiming 36 TiB
        for key, array in {"names": np.array(["AU1_L"]), "fps": np.array(30.0),
                           "start": np.array(0.0), "version": np.array(1)}.items():  # fmt: skip
            with archive.open(f"{key}.npy", "w") as member:
                np.lib.format.write_array(member, array)
        with archive.open("values.npy", "w") as member:
            header = {"descr": "<f4", "fortran_order": False, "shape": (10**13, 1)}
            np.lib.format.write_array_header_2_0(member, header)  # type: ignore[no-untyped-call]
            member.write(bytes(64))
    with pytest.raises(CurveError, match=r"array 'values': (its header claims|cannot be read)"):
        read_curves(tmp_path / "bomb.npz")


def test_a_vanishing_blink_rate_draws_no_blinks() -> None:
    assert len(blink_schedule(3600.0, rate=5e-324, seed=0)) == 0
    curves = render(Timeline(duration=10.0, blink_rate=5e-324))
    assert np.isfinite(curves.values).all()
