"""The command line, in-process: exit codes, messages, outputs."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from conftest import run_cli

from avatardrive import __version__
from avatardrive.curves import read_au_curves

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "demo" / "timelines").glob("*.toml"))


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli("--version")[0] == 0
    assert __version__ in capsys.readouterr().out


@pytest.mark.parametrize("command", ["render", "validate", "emotions"])
def test_help_on_each_command(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(command, "--help")[0] == 0
    assert "usage: avatardrive " + command in capsys.readouterr().out


def test_example_timelines_exist_and_validate() -> None:
    assert len(EXAMPLES) >= 3
    for path in EXAMPLES:
        code, out, err = run_cli("validate", str(path))
        assert code == 0, err
        assert re.search(r": ok - \d+ events", out)


@pytest.mark.parametrize("suffix", [".csv", ".npz", ".json"])
def test_render_writes_curves_that_read_back(tmp_path: Path, suffix: str) -> None:
    target = tmp_path / f"out{suffix}"
    code, out, err = run_cli(
        "render",
        str(ROOT / "demo/timelines/micro_expressions.toml"),
        "-o",
        str(target),
        "--fps",
        "50",
    )
    assert code == 0, err
    curves = read_au_curves(target)
    assert curves.fps == 50 and curves.n_frames == 600
    assert 0.0 < curves.values.max() <= 1.0
    assert "wrote" in out


def test_render_summary_reports_peaks_and_blinks(tmp_path: Path) -> None:
    code, out, _ = run_cli(
        "render",
        str(ROOT / "demo/timelines/basic_emotions.toml"),
        "-o",
        str(tmp_path / "x.csv"),
        "--summary",
    )
    assert code == 0
    assert re.search(r"happiness @0\.5s\s+AU6\s+Cheek Raiser\s+0\.\d\d", out)
    assert re.search(r"\n\s+AU12\s+Lip Corner Puller\s+0\.9\d\s+0\.8\d", out)
    assert re.search(r"blinks \(AU45\): \d+ in [\d.]+ s = [\d.]+ per minute \(setting 17\)", out)


def test_emotions_lists_sets_with_sources() -> None:
    code, out, _ = run_cli("emotions", "--sources")
    assert code == 0
    for name in (
        "canonical:happiness",
        "dong:anger",
        "matsumoto:contempt",
        "du:hatred",
        "extra:awe",
    ):
        assert name in out
    assert "Du, Tao & Martinez 2014" in out
    assert re.search(r"canonical:contempt\s+U12A\+U14A", out)


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        (
            "version = 1\n[[events]]\nemotion = 'joy'\nstart = 1\nintensity = 1.5\n",
            r"^avatardrive: error: .*bad\.toml: line 5: events\[0\]\.intensity: .*1\.5",
        ),
        (
            "version = 1\n[[events]]\nemotion = 'hapiness'\nstart = 1\n",
            r"^avatardrive: error: .*bad\.toml: line 3: events\[0\]\.emotion: unknown emotion "
            r"'hapiness'; did you mean 'happiness'",
        ),
        ("version = 1\n[[events]\n", r"line 2: TOML syntax error"),
        ("", r"the file is empty"),
    ],
)
def test_bad_timelines_exit_2_with_one_line_and_no_output(
    tmp_path: Path, text: str, pattern: str
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(text)
    for argv in (("validate", str(bad)), ("render", str(bad), "-o", str(tmp_path / "o.csv"))):
        code, _, err = run_cli(*argv)
        assert code == 2
        assert err.count("\n") == 1 and "Traceback" not in err
        assert re.search(pattern, err), err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.toml"]  # nothing half-written


def test_bad_output_suffix_and_folder(tmp_path: Path) -> None:
    timeline = str(ROOT / "demo/timelines/micro_expressions.toml")
    code, _, err = run_cli("render", timeline, "-o", str(tmp_path / "o.xlsx"))
    assert code == 2 and re.search(r"suffix '\.xlsx'; expected one of \.csv, \.npz, \.json", err)
    code, _, err = run_cli("render", timeline, "-o", str(tmp_path / "nope" / "o.csv"))
    assert code == 2 and "does not exist" in err


def test_missing_timeline_and_bad_flag(tmp_path: Path) -> None:
    code, _, err = run_cli("validate", str(tmp_path / "none.toml"))
    assert code == 2 and "none.toml: no such file" in err
    assert run_cli("render", "x.toml", "-o", "y.csv", "--fps", "0")[0] == 2


def test_rendered_csv_header_and_time_column(tmp_path: Path) -> None:
    target = tmp_path / "c.csv"
    assert run_cli("render", str(ROOT / "demo/timelines/compound.toml"), "-o", str(target))[0] == 0
    header = target.read_text().splitlines()[0].split(",")
    assert header[:3] == ["time", "AU1_L", "AU1_R"]
    times = np.loadtxt(target, delimiter=",", skiprows=1, usecols=0)
    assert np.allclose(np.diff(times), 1 / 30)
