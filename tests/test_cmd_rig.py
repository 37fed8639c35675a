"""The rig commands and ``render --rig``, in-process: exit codes, messages, outputs."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from conftest import run_cli

from avatardrive.curves import read_curves
from avatardrive.retarget import load_rig

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "rigs" / "examples" / "stylized_unity.toml"
TIMELINE = ROOT / "demo" / "timelines" / "basic_emotions.toml"


@pytest.mark.parametrize("argv", [["rigs"], ["rig"], ["rig", "show"], ["rig", "check"]])
def test_help(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(*argv, "--help")[0] == 0
    assert "usage: avatardrive " + " ".join(argv) in capsys.readouterr().out


def test_rigs_lists_every_builtin_with_its_shape_count() -> None:
    code, out, _ = run_cli("rigs")
    assert code == 0
    for name, count in [
        ("arkit52", 52),
        ("facs", 86),
        ("vrcft", 62),
        ("vrm0", 17),
        ("vrm1", 18),
        ("vrm1-perfectsync", 70),
    ]:
        assert re.search(rf"^{re.escape(name)}\s+{count}\s+0-1\s+\w", out, re.M), name
    assert re.search(r"^rig\s+shapes\s+values\s+title$", out, re.M)  # a table's header
    assert "stylized_unity.toml" in out


def test_rig_show_prints_the_mapping_and_the_inverse_report() -> None:
    code, out, _ = run_cli("rig", "show", "arkit52")
    assert code == 0
    assert out.startswith("arkit52 - Apple ARKit 52 blendshapes\n")
    assert re.search(
        r"^ 18  mouthClose\s+AU8 \+ 0\.35\*AU26 - 0\.35\*AU26\*AU25\s+linear$", out, re.M
    )
    assert re.search(r"^ 43  browInnerUp\s+AU1\s+linear$", out, re.M)
    assert re.search(r"^ 15  jawLeft\s+\(no AU: stays at rest\)", out, re.M)
    assert re.search(r"no path, come back 0 \(22 channels\): AU11, AU13, AU23", out)
    code, out, _ = run_cli("rig", "show", "vrcft")
    assert re.search(r"EyeLidLeft\s+AU45_L \+ AU43_L \+ AU46_L\s+linear, gain -0.75, "
                     r"offset \+0.75", out)


def test_rig_show_reads_files_too() -> None:
    code, out, _ = run_cli("rig", "show", str(EXAMPLE))
    assert code == 0
    assert "values 0-100" in out
    assert re.search(r"Smile_L \[SmileLeft\]\s+AU12_L \+ 0\.2\*AU6_L\*AU12_L\s+smoothstep", out)
    assert re.search(r"Blink_L\s+.*power 1\.5, clamp \[0, 0\.95\]", out)
    assert re.search(r"HappyEyes\s+min\(AU6, AU12\)\s+linear, gain 1\.2, offset -0\.2", out)


def test_rig_check_accepts_the_example() -> None:
    code, out, err = run_cli("rig", "check", str(EXAMPLE))
    assert (code, err) == (0, "")
    assert re.search(
        r"stylized_unity\.toml: ok - rig 'stylized-unity', 15 shapes, values 0-100", out
    )


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        (
            'version = 1\n[[shapes]]\nname = "a"\n[[shapes]]\nname = "mouthSmileLeft"\n'
            'curve = "cubic"\n',
            r"bad\.toml: shapes\[1\] \(mouthSmileLeft\)\.curve: 'cubic' is not a response curve",
        ),
        (
            'version = 1\n[[shapes]]\nname = "b"\ninputs = { AU99_L = 1 }\n',
            r"bad\.toml: shapes\[0\] \(b\)\.inputs\.AU99_L: unknown AU channel 'AU99_L'",
        ),
        (
            'version = 1\n[[shapes]]\nname = "b"\n[[shapes]]\nname = "B"\n',
            r"bad\.toml: shapes\[1\] \(B\)\.name: 'B' is already the name or an alias of shape 'b'",
        ),
        (
            'version = 1\n[[shapes]]\nname = "b"\ninputs = { AU1 = nan }\n',
            r"bad\.toml: shapes\[0\] \(b\)\.inputs\.AU1: nan is not finite",
        ),
        ('[[shapes]]\nname = "b"\n', r"bad\.toml: version: missing key 'version'"),
        (
            'version = 1\n[[shapes]]\nname = "b"\ninputs = { AU1 = }\n',
            r"bad\.toml: line 4: TOML syntax error: .*\(column \d+\); expected valid TOML",
        ),
    ],
)
def test_bad_rig_files_exit_2_with_one_line(tmp_path: Path, text: str, pattern: str) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(text)
    output = tmp_path / "w.csv"
    for argv in (
        ("rig", "check", str(bad)),
        ("rig", "show", str(bad)),
        ("render", str(TIMELINE), "--rig", str(bad), "-o", str(output)),
    ):
        code, out, err = run_cli(*argv)
        assert code == 2 and out == ""
        assert err.count("\n") == 1 and "Traceback" not in err
        assert re.search(r"^avatardrive: error: .*" + pattern, err), err
    assert not output.exists()


def test_unknown_rig_name_and_missing_file(tmp_path: Path) -> None:
    code, _, err = run_cli("rig", "show", "arkit")
    assert code == 2 and re.search(r"unknown rig 'arkit' \(did you mean 'arkit52'\?\)", err)
    code, _, err = run_cli("rig", "check", str(tmp_path / "none.toml"))
    assert code == 2 and "none.toml: no such file" in err


@pytest.mark.parametrize(("rig", "suffix"), [("arkit52", ".csv"), ("vrm0", ".json")])
def test_render_with_a_rig_writes_time_and_shape_names(
    tmp_path: Path, rig: str, suffix: str
) -> None:
    target = tmp_path / f"w{suffix}"
    code, out, err = run_cli("render", str(TIMELINE), "--rig", rig, "-o", str(target))
    assert code == 0, err
    assert re.search(rf"x {load_rig(rig).n_shapes} shapes of rig {rig} at 60 fps", out)
    weights = read_curves(target)
    assert weights.names == load_rig(rig).shape_names
    assert weights.fps == 60 and 0.5 < weights.values.max() <= 1.0
    if suffix == ".csv":
        header = target.read_text().splitlines()[0].split(",")
        assert header[:3] == ["time", "eyeBlinkLeft", "eyeLookDownLeft"] and len(header) == 53


def test_render_with_a_0_to_100_rig(tmp_path: Path) -> None:
    target = tmp_path / "w.npz"
    code, _, err = run_cli("render", str(TIMELINE), "--rig", str(EXAMPLE), "-o", str(target))
    assert code == 0, err
    weights = read_curves(target)
    assert weights.names[0] == "Smile_L"
    assert 50.0 < float(np.max(weights.values)) <= 100.0
