"""``avatardrive vrchat check``: what an avatar accepts, what we drive and how, the bit budget."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import run_cli
from test_transport_vrchat import DATA, template, write_config


def test_check_lists_floats_binaries_flags_skips_and_the_budget(tmp_path: Path) -> None:
    code, out, err = run_cli("vrchat", "check", str(write_config(tmp_path / "a.json", template())))
    assert (code, err) == (0, "")
    assert "avatar avtr_00000000-1111-2222-3333-444444444444 'template'" in out
    assert "20 writable parameters (1 read-only built-ins ignored)" in out
    assert re.search(r"/avatar/parameters/FT/v2/JawOpen\s+float\s+<- JawOpen", out)
    assert re.search(r"/avatar/parameters/FT/v2/JawOpen\{1,2,4\}\s+3-bit binary\s+<- JawOpen", out)
    assert re.search(r"SmileSadLeft\{1,2,4,8\} \+ Negative\s+4-bit binary \+ sign", out)
    assert re.search(r"MouthClosed\s+bool \(on above 0\)", out)
    assert re.search(r"LipTrackingActive\s+bool, on while streaming", out)
    assert re.search(r"BrowExpressionLeft\s+bits 1, 2, 8 are not contiguous", out)
    assert re.search(r"FT/v2/CheekPuffLeft\s+declared Int", out)
    assert "left alone: 1 other parameters" in out
    assert "synced-bit budget: 50 of 256 bits" in out and "binary parameters alone use 8" in out


@pytest.mark.skipif(not DATA.is_dir(), reason="../shared/data is not here")
def test_check_of_the_real_files() -> None:
    code, out, _ = run_cli("vrchat", "check", str(DATA / "machinad_avtr_46040475_plain.json"))
    assert code == 0 and "avatardrive drives 0:" in out and "left alone: 17" in out
    code, out, _ = run_cli("vrchat", "check",
                           str(DATA / "hazre_VRCFTReceiver_vrc_parameters_FT_template.json"))
    assert code == 0 and "avatardrive drives 119:" in out and "cannot drive 35:" in out


@pytest.mark.parametrize(("content", "pattern"), [
    ("nope", r"x\.json: is not JSON"),
    (json.dumps({"parameters": [{"name": "a", "input": {"address": "/a", "type": "Str"}}]}),
     r"x\.json: parameters\[0\]\.input\.type: type 'Str' is unknown; expected Float, Int or Bool"),
])  # fmt: skip
def test_check_of_a_bad_file_is_one_line_and_exit_2(tmp_path: Path, content: str,
                                                    pattern: str) -> None:
    path = tmp_path / "x.json"
    path.write_text(content)
    code, out, err = run_cli("vrchat", "check", str(path))
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1 and re.search(pattern, err)
    code, _, err = run_cli("vrchat", "check", str(tmp_path / "missing.json"))
    assert code == 2 and "missing.json: no such file" in err
