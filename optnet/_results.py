"""The one enumeration of solver outcomes in optnet (extends `optimistix.RESULTS`)."""

import optimistix as optx


class RESULTS(optx.RESULTS):  # pyright: ignore
    """Outcomes of optnet's solves: optimistix's, plus the Raman ODE and boundary-value problem."""

    ode_failed = (
        "The Raman ODE solve failed (step limit reached or step size underflow). Raise "
        "`RamanSpan.max_steps`, loosen the step-size controller, or check for extreme pump powers."
    )
    bvp_failed = (
        "The backward-pump boundary-value problem did not converge: neither Newton from the "
        "relaxation guess nor the TNC fallback found z=0 pump powers that reproduce the prescribed z=L "
        "powers. Such pumping (usually watts in total, with tens of dB of gain) has no steady state the "
        "solvers can reach: check the pump powers (W) and frequencies (Hz)."
    )
