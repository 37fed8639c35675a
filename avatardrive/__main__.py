"""``python -m avatardrive``: the command line."""

from avatardrive.cli import run

run()
