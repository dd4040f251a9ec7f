"""Console, tables and the float64 switch shared by the commands."""

from rich.console import Console
from rich.table import Table

console = Console()


def require_x64() -> None:
    """The CLI computes in float64 (a process-wide JAX setting, so it lives here, not in the physics)."""
    import jax

    jax.config.update("jax_enable_x64", True)


def link_table(r, title: str) -> Table:
    """Per-channel table of a `LinkResult`, with units in every header."""
    import numpy as np

    import optnet as on

    t = Table(title=title)
    for col in ("ch", "f (THz)", "P (dBm)", "P_ASE (dBm)", "P_NLI (dBm)", "OSNR 0.1 nm (dB)", "GSNR (dB)"):
        t.add_column(col, justify="right")
    f, p = np.asarray(r.frequency), np.asarray(on.watt_to_dbm(r.power))
    ase, nli = np.asarray(on.watt_to_dbm(r.ase_power)), np.asarray(on.watt_to_dbm(r.nli_power))
    osnr, g = np.asarray(on.linear_to_db(r.osnr())), np.asarray(r.gsnr_db)
    for i in range(len(f)):
        t.add_row(str(i), f"{f[i] / 1e12:.4f}", f"{p[i]:.2f}", f"{ase[i]:.2f}", f"{nli[i]:.2f}", f"{osnr[i]:.2f}", f"{g[i]:.2f}")
    return t
