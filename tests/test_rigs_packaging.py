"""The rig files ship inside the wheel, as the package data dir ``avatardrive.rigs``."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
import zipfile
from importlib import resources
from pathlib import Path

import pytest

from avatardrive.retarget import builtin_rigs

ROOT = Path(__file__).resolve().parent.parent
#: The wheel build below must finish within this many seconds.
WHEEL_TIMEOUT = 60


def _setuptools() -> dict[str, object]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    return dict(config["tool"]["setuptools"])


def test_pyproject_lists_every_package() -> None:
    """The package list is explicit (for the rigs/ mapping): a new package must be added to it."""
    listed = set(_setuptools()["packages"])  # type: ignore[call-overload]
    on_disk = {
        ".".join(path.parent.relative_to(ROOT).parts)
        for path in (ROOT / "avatardrive").rglob("*.py")
        if "__pycache__" not in path.parts
    }
    assert on_disk <= listed, f"add to [tool.setuptools] packages: {sorted(on_disk - listed)}"
    assert {"avatardrive.rigs", "avatardrive.rigs.examples"} <= listed
    assert _setuptools()["package-dir"] == {"avatardrive.rigs": "rigs"}


def test_rig_files_are_found_through_importlib_resources() -> None:
    folder = resources.files("avatardrive.rigs")
    names = {entry.name for entry in folder.iterdir()}
    assert {f"{name}.toml" for name in builtin_rigs()} <= names
    assert folder.joinpath("examples", "stylized_unity.toml").is_file()
    on_disk = {p.stem for p in (ROOT / "rigs").glob("*.toml")}
    assert set(builtin_rigs()) == on_disk


def test_the_wheel_contains_the_rig_files(tmp_path: Path) -> None:
    """Build a wheel from a copy of the sources (the work tree stays untouched) and list it."""
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for folder in ("avatardrive", "rigs"):
        shutil.copytree(ROOT / folder, source / folder, ignore=ignore)
    command = [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "-q"]
    try:
        done = subprocess.run(
            [*command, "-w", str(tmp_path / "dist")],
            capture_output=True,
            text=True,
            timeout=WHEEL_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"building the wheel took more than {WHEEL_TIMEOUT} s")
    assert done.returncode == 0, done.stderr[-2000:]
    (wheel,) = (tmp_path / "dist").glob("avatardrive-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for rig in builtin_rigs():
        assert f"avatardrive/rigs/{rig}.toml" in names
    assert "avatardrive/rigs/examples/stylized_unity.toml" in names
    assert "avatardrive/retarget/__init__.py" in names
    assert "avatardrive/facs/catalogue.toml" in names
