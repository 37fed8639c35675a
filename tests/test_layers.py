"""The layers of DESIGN.md: imports point down only, and ``import avatardrive`` stays light."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "avatardrive"
SHARED = {"errors", "_files"}  # the bottom of every layer

#: Which avatardrive layers each layer may import (DESIGN.md, "Layers").
ALLOWED: dict[str, set[str]] = {
    "facs": set(),
    "curves": {"facs"},
    "timeline": {"facs"},
    "synth": {"facs", "curves", "timeline"},
    "retarget": {"facs", "curves"},
    "tracking": {"facs", "curves", "retarget"},
    "transport": set(),
    "pipeline": {"facs", "curves", "timeline", "synth", "retarget", "tracking", "transport"},
    "views": {
        "facs", "curves", "timeline", "synth", "retarget", "tracking", "transport", "pipeline",
    },
    "cli": {
        "facs", "curves", "timeline", "synth", "retarget", "tracking", "transport", "pipeline",
        "views",
    },
}
#: Heavy or system-facing third-party packages and the only layers allowed to import them.
GUARDED = {
    "socket": {"transport"},
    "mediapipe": {"tracking"},
    "cv2": {"tracking"},
    "PySide6": {"views"},
    "PyQt6": {"views"},
    "pyqtgraph": {"views"},
    "pythonosc": {"transport"},
}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def layer_of(path: Path) -> str:
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if layer_of(p) in ALLOWED)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_point_down_the_layers(path: Path) -> None:
    layer = layer_of(path)
    for module in imported_modules(path):
        parts = module.split(".")
        if parts[0] == "avatardrive" and len(parts) > 1:
            target = parts[1]
            assert target in SHARED | ALLOWED[layer] | {layer}, (
                f"{path.relative_to(PACKAGE)} ({layer}) imports {module}"
            )
        elif parts[0] in GUARDED:
            assert layer in GUARDED[parts[0]], f"{path.relative_to(PACKAGE)} imports {module}"


def test_import_avatardrive_stays_light() -> None:
    code = (
        "import sys, avatardrive, avatardrive.facs, avatardrive.curves, avatardrive.timeline, "
        "avatardrive.synth, avatardrive.pipeline, avatardrive.cli\n"
        "heavy = sorted(m for m in ('mediapipe', 'cv2', 'PySide6', 'PyQt6', 'pyqtgraph') "
        "if m in sys.modules)\n"
        "print(','.join(heavy))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


def test_public_surface_is_declared() -> None:
    import avatardrive

    assert set(avatardrive.__all__) == {
        "AvatarDriveError", "CatalogueError", "CurveError", "ParameterError", "RigError",
        "TimelineError", "TrackingError", "TransportError", "__version__",
    }  # fmt: skip
    for layer in ("facs", "curves", "timeline", "synth"):
        module = __import__(f"avatardrive.{layer}", fromlist=["__all__"])
        exported = set(module.__all__)
        public = {name for name in vars(module) if not name.startswith("_")}
        assert exported <= public, f"avatardrive.{layer} exports names it does not define"
