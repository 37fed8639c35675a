"""Zip the Blender add-on for Edit ▸ Preferences ▸ Add-ons ▸ Install….

    python demo/blender/make_zip.py [--out demo-out/avatardrive_receiver.zip]

The zip holds one top-level folder, ``avatardrive_receiver/``, with the add-on's ``.py`` files
(no caches), which is the layout Blender's installer expects. Same as
``cd demo/blender && zip -r avatardrive_receiver.zip avatardrive_receiver -x '*__pycache__*'``.
"""

from __future__ import annotations

import argparse
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
PACKAGE = HERE / "avatardrive_receiver"


def make_zip(out: Path) -> list[str]:
    """Write the add-on zip to ``out``; return the archive member names."""
    out.parent.mkdir(parents=True, exist_ok=True)
    members = []
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(PACKAGE.glob("*.py")):
            member = f"{PACKAGE.name}/{path.name}"
            archive.write(path, member)
            members.append(member)
    return members


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("demo-out") / f"{PACKAGE.name}.zip",
                        help="zip file to write (default: %(default)s)")
    args = parser.parse_args(argv)
    members = make_zip(args.out)
    print(f"wrote {args.out} ({len(members)} files): install it in Blender with "
          f"Edit > Preferences > Add-ons > Install...")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
