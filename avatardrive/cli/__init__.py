"""The ``avatardrive`` command line: ``main(argv) -> int`` and the console-script entry point.

For scripts that drive a command's pieces (the demo's puppet screenshot): :func:`parse_args`
parses a command line as ``main`` does, and :func:`puppet_session` opens what ``puppet`` needs.
"""

from avatardrive.cli._cmd_puppet import puppet_session
from avatardrive.cli._main import main, parse_args, run

__all__ = ["main", "parse_args", "puppet_session", "run"]
