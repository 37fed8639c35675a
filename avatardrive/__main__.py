"""``python -m avatardrive``: the command line."""

from avatardrive.apps.cli import run

run()
