"""What the commands show while they work: status lines on a pseudo-terminal (``script``), none in
files, ``--quiet``, progress bars, tables."""

from __future__ import annotations

import io
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from receivers import free_port

from avatardrive.cli._console import RateMeter, elapsed_text, table

SCENE = ("version = 1\nduration = {duration}\n[blink]\nrate = 0\n[[events]]\n"
         "aus = {{ AU12 = 0.8 }}\nstart = 0.1\nstyle = 'posed'\n")
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
STATUS = re.compile(r"(\d\d:\d\d\.\d) frames=(\d+) fps=([\d.]+) skipped=\d+ late=[\d.]+ms "
                    r"errors=\d+")


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "avatardrive", *args]


@pytest.fixture
def script() -> str:
    path = shutil.which("script")
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("script (util-linux) is missing; the pseudo-terminal tests need it")
        pytest.skip("script (util-linux) is not installed")
    return path


def on_a_terminal(script: str, *args: str, timeout: float = 60) -> str:
    """Run the command with stdout and stderr on a pseudo-terminal; return what it showed."""
    command = shlex.join(cli(*args))
    env = {**os.environ, "COLUMNS": "200", "TERM": "xterm-256color"}
    env.pop("NO_COLOR", None)
    done = subprocess.run([script, "-qec", command, "/dev/null"], capture_output=True,
                          stdin=subprocess.DEVNULL, env=env, timeout=timeout, check=False)
    assert done.returncode == 0, done.stdout.decode(errors="replace")
    return done.stdout.decode("utf-8", errors="replace")


def scene(tmp_path: Path, duration: float = 5.0) -> str:
    path = tmp_path / "scene.toml"
    path.write_text(SCENE.format(duration=duration))
    return str(path)


def status_updates(shown: str) -> list[tuple[float, int]]:
    found = STATUS.findall(ANSI.sub("", shown))
    return [(float(t[:2]) * 60 + float(t[3:]), int(frames)) for t, frames, _ in found]


def test_play_shows_a_status_line_refreshed_on_a_terminal(script: str, tmp_path: Path) -> None:
    shown = on_a_terminal(script, "play", scene(tmp_path), "--to",
                          f"osc://127.0.0.1:{free_port()}", "--seconds", "2", "--control",
                          str(free_port()))
    updates = status_updates(shown)
    assert len(updates) >= 4  # about 4 a second for 2 s
    times, frames = zip(*updates, strict=True)
    assert list(frames) == sorted(frames) and frames[-1] >= 100
    assert times[-1] >= 1.5
    assert "\x1b[2K" in shown  # the line is redrawn in place, not printed again
    assert "cmds=0 rejected=0" in shown
    assert re.search(r"played \d+ frames in 2\.\d\d s", shown)


def test_serve_and_monitor_show_status_lines_on_a_terminal(script: str) -> None:
    port = free_port()
    shown = on_a_terminal(script, "serve", "--to", f"vmc://127.0.0.1:{port}", "--control",
                          str(free_port()), "--seconds", "1.5")
    assert len(status_updates(shown)) >= 3
    shown = on_a_terminal(script, "monitor", "--port", str(free_port()), "--seconds", "1.5")
    lines = re.findall(r"\d\d:\d\d\.\d  frames 0  rate 0\.0/s", ANSI.sub("", shown))
    assert len(lines) >= 3
    assert "received in all" in shown


def test_no_status_line_when_output_is_a_file(tmp_path: Path) -> None:
    with open(tmp_path / "out.txt", "w") as out, open(tmp_path / "err.txt", "w") as err:
        done = subprocess.run(cli("play", scene(tmp_path), "--to",
                                  f"osc://127.0.0.1:{free_port()}", "--seconds", "1"),
                              stdout=out, stderr=err, timeout=60, check=False)  # fmt: skip
    assert done.returncode == 0
    written = (tmp_path / "out.txt").read_text() + (tmp_path / "err.txt").read_text()
    assert not STATUS.search(written)
    assert not ANSI.search(written)
    assert re.search(r"^played \d+ frames in [\d.]+ s", written, re.M)  # the one summary


def test_quiet_prints_nothing_on_a_terminal(script: str, tmp_path: Path) -> None:
    shown = on_a_terminal(script, "play", scene(tmp_path), "--to",
                          f"osc://127.0.0.1:{free_port()}", "--seconds", "1", "--quiet")
    assert ANSI.sub("", shown).strip() == ""


def test_quiet_prints_nothing_but_errors(tmp_path: Path) -> None:
    port = str(free_port())
    for command in (["play", scene(tmp_path), "--to", f"osc://127.0.0.1:{port}", "--seconds",
                     "0.5", "--quiet"],
                    ["serve", "--to", f"osc://127.0.0.1:{port}", "--control", str(free_port()),
                     "--seconds", "0.5", "-q"],
                    ["monitor", "--port", "0", "--seconds", "0.3", "--quiet"],
                    ["convert", scene(tmp_path), "-o", str(tmp_path / "c.csv"), "--quiet"],
                    ["render", scene(tmp_path), "-o", str(tmp_path / "r.npz"), "--quiet"]):
        done = subprocess.run(cli(*command), capture_output=True, text=True, timeout=60,
                              check=False)  # fmt: skip
        assert (done.returncode, done.stdout, done.stderr) == (0, "", ""), command
    done = subprocess.run(cli("play", str(tmp_path / "missing.toml"), "--to",
                              f"osc://127.0.0.1:{port}", "--quiet"),
                          capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert done.returncode == 2 and done.stdout == ""
    assert re.fullmatch(r"avatardrive: error: .*missing\.toml.*\n", done.stderr)


def test_render_convert_export_show_progress_bars_on_a_terminal_only(
        script: str, tmp_path: Path) -> None:
    long_scene = scene(tmp_path, duration=600.0)
    shown = on_a_terminal(script, "render", long_scene, "-o", str(tmp_path / "a.npz"))
    assert re.search(r"rendering\s.*\d+%", ANSI.sub("", shown))
    shown = on_a_terminal(script, "convert", long_scene, "-o", str(tmp_path / "c.npz"))
    assert re.search(r"reading\s.*\d+%", ANSI.sub("", shown))
    shown = on_a_terminal(script, "export", long_scene, "-o", str(tmp_path / "take.csv"))
    assert re.search(r"writing\s.*\d+%", ANSI.sub("", shown))
    done = subprocess.run(cli("render", long_scene, "-o", str(tmp_path / "b.npz")),
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0 and done.stderr == ""
    assert done.stdout.startswith("wrote ")


# ----------------------------------------------------------------------------------- pieces


def test_tables_in_files_are_plain_aligned_and_keep_brackets() -> None:
    out = io.StringIO()
    table(out, ["name", "AUs"], [["[canonical] joy", "6C+12D"], ["x", "[1B]"]], title="[set] T")
    lines = out.getvalue().splitlines()
    assert lines == ["[set] T", "name             AUs", "[canonical] joy  6C+12D",
                     "x                [1B]"]


def test_rate_meter_measures_over_its_window() -> None:
    meter = RateMeter(window=1.0)
    assert meter(0.0, 0) == 0.0
    assert meter(0.5, 30) == pytest.approx(60.0)
    for k in range(2, 10):
        rate = meter(k * 0.5, 30 + (k - 1) * 10)  # slows down to 20 frames per second
    assert rate == pytest.approx(20.0)


@pytest.mark.parametrize(("seconds", "text"), [(0.0, "00:00.0"), (75.25, "01:15.2"),
                                               (3725.0, "1:02:05")])
def test_elapsed_time_reads_like_ffmpeg(seconds: float, text: str) -> None:
    assert elapsed_text(seconds) == text


def test_live_shows_whether_a_face_is_found_on_a_terminal(script: str, tmp_path: Path) -> None:
    take = tmp_path / "take.csv"
    done = subprocess.run(cli("export", scene(tmp_path, duration=2.0), "-o", str(take)),
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    shown = ANSI.sub("", on_a_terminal(script, "live", "--livelink", str(take), "--to",
                                       f"vmc://127.0.0.1:{free_port()}"))
    updates = re.findall(r"frames=(\d+) fps=[\d.]+ face=yes with-face=(\d+)/(\d+) errors=\d+",
                         shown)
    assert len(updates) >= 4  # the take replays in 2 s
    assert all(found == total for _, found, total in updates)
    assert "tracked 120 frames (120 with a face)" in shown
