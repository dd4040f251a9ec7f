"""The `optnet` command line (typer). Imports everything lazily; imported by nothing."""

from ._app import app as app, main as main
