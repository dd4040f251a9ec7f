"""The typer application, its global options, and the error policy: a user error is one line on
stderr and exit status 2 (a traceback only with `--debug`)."""

import sys

import typer

from ._gsnr import gsnr, launch_power_demo
from ._network import network_demo
from ._pumps import optimise_pumps
from ._superchannel import superchannel

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="optnet: differentiable optical-network physics. Units: dB, dBm, GHz, THz, km at this edge; SI inside.",
)


def _version(value: bool) -> bool:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        import optnet

        try:
            dist = version("optnet-jax")
        except PackageNotFoundError:  # pragma: no cover - source tree without installation
            dist = optnet.__version__
        typer.echo(f"optnet {dist}")
        raise typer.Exit()
    return value


@app.callback()
def _options(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version and exit."),
    debug: bool = typer.Option(False, "--debug", help="Show the full traceback of an error."),
):
    """Per-channel GSNR of links and networks, Raman pump optimisation and superchannel placement."""


app.command("gsnr")(gsnr)
app.command("launch-power-demo")(launch_power_demo)
app.command("network-demo")(network_demo)
app.command("optimise-pumps")(optimise_pumps)
app.command("superchannel")(superchannel)


# typer's usage errors derive from (its vendored or the installed) click's ClickException
_USAGE_ERROR = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")


def _fail(message: str) -> None:
    typer.echo(f"optnet: error: {message}", err=True)
    sys.exit(2)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the `optnet` console script and of `python -m optnet`."""
    args = sys.argv[1:] if argv is None else list(argv)
    debug = "--debug" in args
    try:
        app(args=args, prog_name="optnet", standalone_mode=False)
    except typer.Exit as e:
        sys.exit(e.exit_code)
    except typer.Abort:
        _fail("aborted")
    except _USAGE_ERROR as e:
        if debug:
            raise
        _fail(e.format_message().replace("\n", " "))
    except (ValueError, TypeError, OSError, KeyError) as e:
        if debug:
            raise
        _fail(str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__)
