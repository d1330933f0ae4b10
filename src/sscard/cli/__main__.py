"""`python -m sscard.cli`."""

from sscard.cli.main import app

app()
