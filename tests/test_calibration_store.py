"""Named calibrations in the user's data folder (platformdirs): `calibrate -o NAME`,
`live --calibration NAME`."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from receivers import free_port

from avatardrive.errors import TrackingError
from avatardrive.tracking import calibration_path, calibrations_dir, saved_calibrations


@pytest.fixture
def data_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "data"
    monkeypatch.setenv("XDG_DATA_HOME", str(home))
    return home


def test_names_live_in_the_data_folder_and_paths_stay_paths(data_home: Path) -> None:
    assert calibrations_dir() == data_home / "avatardrive" / "calibrations"
    assert calibration_path("ana") == data_home / "avatardrive" / "calibrations" / "ana.json"
    assert calibration_path("Ana Lopez-2") == calibrations_dir() / "Ana Lopez-2.json"
    for path in ("ana.json", "takes/ana", "./ana", "/tmp/x.json"):
        assert calibration_path(path) == Path(path)


def test_a_missing_name_lists_the_saved_ones(data_home: Path) -> None:
    calibrations_dir().mkdir(parents=True)
    (calibrations_dir() / "ana.json").write_text("{}")
    (calibrations_dir() / "bo.json").write_text("{}")
    assert saved_calibrations() == ["ana", "bo"]
    with pytest.raises(TrackingError, match=r"^carl: no calibration named 'carl' in .*"
                                            r"calibrations; expected one of the saved ones "
                                            r"\(ana, bo\) or a file path"):
        calibration_path("carl", must_exist=True)
    assert calibration_path("bo", must_exist=True) == calibrations_dir() / "bo.json"


def run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "avatardrive", *args], capture_output=True,
                          text=True, timeout=180, env=env, check=False)


def test_calibrate_by_name_then_live_by_name(tmp_path: Path) -> None:
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data")}
    scene, take = tmp_path / "s.toml", tmp_path / "take.csv"
    scene.write_text("version = 1\nfps = 30\nduration = 2\n")
    assert run("export", str(scene), "-o", str(take), env=env).returncode == 0
    done = run("calibrate", "--livelink", str(take), "--performer", "ana", env=env)
    assert done.returncode == 0, done.stderr
    saved = tmp_path / "data" / "avatardrive" / "calibrations" / "ana.json"
    assert f"wrote {saved}: the livelink neutral of ana" in done.stdout
    done = run("live", "--livelink", str(take), "--calibration", "ana", "--fast", "--to",
               f"osc://127.0.0.1:{free_port()}", env=env)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"using the neutral in {saved}" in done.stdout
    done = run("live", "--livelink", str(take), "--calibration", "bob", "--fast", env=env)
    assert done.returncode == 2
    assert re.search(r"no calibration named 'bob' .*\(ana\)", done.stderr)
    done = run("calibrate", "--livelink", str(take), env=env)
    assert done.returncode == 2
    assert re.search(r"expected -o FILE, -o NAME .* or --performer NAME", done.stderr)
