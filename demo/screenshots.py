"""Regenerate the README's screenshots off screen (needs the gui extra; no display needed).

    python demo/screenshots.py [--out docs/img] [--only NAME ...]

Each picture is one function in ``SHOTS``, named after the file it writes (PNG screenshots, and
the animated GIF the README opens with). The images are made by this script and never edited by
hand: change the script and run it again.
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


#: The part of the demo scene in the README's animated GIF: surprise turning into fear, then a
#: micro-expression of contempt masked by a smile.
PREVIEW_PART = ("7.5", "16.5")
GIF_LIMIT = 2_000_000  # bytes


def preview(target: Path) -> int:
    """The demo scene on the preview face beside its AU curves, as an animated GIF under 2 MB."""
    from avatardrive.cli import main as avatardrive_cli

    start, end = PREVIEW_PART
    options = ["--with-plot", "--size", "280x280", "--from", start, "--to", end, "--fps", "20"]
    code = avatardrive_cli(["preview", str(SCENE), *options, "-o", str(target)])
    if code == 0 and target.stat().st_size > GIF_LIMIT:
        print(f"{target} is {target.stat().st_size:,} bytes; expected under {GIF_LIMIT:,}")
        return 2
    return code


def puppet(target: Path) -> int:
    """The puppeteering window on the astronaut test face, hotkeys pressed on the way (real time,
    about 8 s; see ``demo/live_puppet.py``)."""
    from live_puppet import screenshot

    return screenshot(target)


#: file name -> function writing ``<out>/<file name>`` and returning an exit code. Add new shots
#: here.
SHOTS: dict[str, Callable[[Path], int]] = {
    "preview.gif": preview,
    "authoring.png": authoring,
    "puppet.png": puppet,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "img"), help="folder for the PNGs")
    names = {Path(name).stem: name for name in SHOTS}
    parser.add_argument(
        "--only", nargs="+", choices=sorted(names), help="make only these pictures"
    )
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before anything creates Qt's app
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    chosen = [names[stem] for stem in args.only] if args.only else list(SHOTS)
    failed = [name for name in chosen if SHOTS[name](out / name) != 0]
    if failed:
        print(f"screenshots failed: {', '.join(failed)}")
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
