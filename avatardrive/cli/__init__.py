"""The ``avatardrive`` command line: ``main(argv) -> int`` and the console-script entry point."""

from avatardrive.cli._main import main, run

__all__ = ["main", "run"]
