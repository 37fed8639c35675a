"""The layers of DESIGN.md: imports point down only, and ``import avatardrive`` stays light."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "avatardrive"
SHARED = {"errors", "_files", "_shapes"}  # the bottom of every layer

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
}
ALLOWED["views"] = ALLOWED["pipeline"] | {"pipeline"}
ALLOWED["cli"] = ALLOWED["views"] | {"views"}
#: Heavy or system-facing third-party packages and the only layers allowed to import them.
GUARDED = {
    "urllib.request": {"transport"},  # only transport fetches URLs
    "http.client": {"transport"},
    "socket": {"transport"},
    "mediapipe": {"tracking"},
    "cv2": {"tracking"},
    "PySide6": {"views"},
    "PyQt6": {"views"},
    "pyqtgraph": {"views"},
    "pythonosc": {"transport"},
    "dask": {"pipeline"},
    "distributed": {"pipeline"},
    "rich": {"cli"},
}


def _dynamic_import(node: ast.AST) -> str | None:
    """The module named by ``importlib.import_module("x")`` or ``__import__("x")``, if constant."""
    if not (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)):
        return None
    func = node.func
    named = (isinstance(func, ast.Attribute) and func.attr == "import_module") or (
        isinstance(func, ast.Name) and func.id in {"import_module", "__import__"}
    )
    value = node.args[0].value
    return value if named and isinstance(value, str) else None


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports: import statements and constant dynamic imports alike."""
    tree = ast.parse(path.read_text("utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            if node.module.split(".")[0] != "avatardrive":  # `from urllib import request`
                found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif (module := _dynamic_import(node)) is not None:
            found.add(module)
    return found


def guarded_by(module: str) -> str | None:
    """The GUARDED entry a module falls under (``urllib.request.urlopen`` -> ``urllib.request``)."""
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        if ".".join(parts[:end]) in GUARDED:
            return ".".join(parts[:end])
    return None


def test_dynamic_imports_are_seen(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text("import importlib\nq = importlib.import_module('PySide6.QtCore')\n"
                     "from urllib import request\n")  # fmt: skip
    assert {"PySide6.QtCore", "urllib.request"} <= imported_modules(probe)


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
        elif (guard := guarded_by(module)) is not None:
            assert layer in GUARDED[guard], f"{path.relative_to(PACKAGE)} imports {module}"


def test_import_avatardrive_stays_light() -> None:
    code = (
        "import sys, avatardrive, avatardrive.facs, avatardrive.curves, avatardrive.timeline, "
        "avatardrive.synth, avatardrive.pipeline, avatardrive.cli\n"
        "heavy = sorted(m for m in ('mediapipe', 'cv2', 'PySide6', 'PyQt6', 'pyqtgraph', 'dask', "
        "'distributed') "
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

LAYERS = sorted(ALLOWED)


@pytest.mark.parametrize("layer", LAYERS)
def test_every_package_exports_exactly_its_public_names(layer: str) -> None:
    """``__all__`` lists each public name the package defines, once, and nothing else."""
    module = importlib.import_module(f"avatardrive.{layer}")
    exported = list(getattr(module, "__all__", []))
    assert len(exported) == len(set(exported)), f"avatardrive.{layer} exports a name twice"
    submodules = {name for name, value in vars(module).items() if isinstance(value, ModuleType)}
    public = {name for name in vars(module) if not name.startswith("_")} - submodules
    public -= {"annotations"}  # from __future__ import annotations
    assert set(exported) == public, (
        f"avatardrive.{layer}: exported but not defined {sorted(set(exported) - public)}; "
        f"defined but not exported {sorted(public - set(exported))}"
    )


def test_the_arkit52_rig_lists_exactly_the_shared_arkit_names() -> None:
    from avatardrive._shapes import ARKIT_NAMES
    from avatardrive.retarget import load_rig

    assert sorted(load_rig("arkit52").shape_names) == list(ARKIT_NAMES)  # Apple's order there
