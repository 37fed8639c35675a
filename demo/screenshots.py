"""Regenerate the README's screenshots off screen (needs the gui extra; no display needed).

    python demo/screenshots.py [--out docs/img] [--only NAME ...]

Each screenshot is one function in ``SHOTS``, named after the PNG it writes. The images are made
by this script and never edited by hand: change the script and run it again.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path

from avatardrive.errors import AvatarDriveError

ROOT = Path(__file__).resolve().parent.parent
SCENE = ROOT / "demo" / "timelines" / "conversation.toml"
SIZE = (1600, 1000)


def _retarget_available() -> bool:
    try:
        from avatardrive.retarget import load_rig

        load_rig("arkit52")
    except (ImportError, AvatarDriveError) as error:
        print(f"note: no rig panel in the authoring shot; retargeting is unavailable ({error})")
        return False
    return True


def authoring(target: Path) -> int:
    """The timeline authoring plot of the demo scene, with ARKit 52 weights when available."""
    from avatardrive import views

    views.plot(SCENE, rig="arkit52" if _retarget_available() else None, path=target, size=SIZE)
    print(f"wrote {target}")
    return 0


def puppet(target: Path) -> int:
    """The puppeteering window on the astronaut test face, hotkeys pressed on the way (real time,
    about 8 s; see ``demo/live_puppet.py``)."""
    from live_puppet import screenshot

    return screenshot(target)


#: name -> function writing ``<out>/<name>.png`` and returning an exit code. Add new shots here
#: (e.g. the puppeteering window, grabbed from its widget off screen).
SHOTS: dict[str, Callable[[Path], int]] = {
    "authoring": authoring,
    "puppet": puppet,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "img"), help="folder for the PNGs")
    parser.add_argument(
        "--only", nargs="+", choices=sorted(SHOTS), help="make only these screenshots"
    )
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before anything creates Qt's app
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    failed = [name for name in args.only or SHOTS if SHOTS[name](out / f"{name}.png") != 0]
    if failed:
        print(f"screenshots failed: {', '.join(failed)}")
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
