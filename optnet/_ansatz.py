"""The 5-parameter Raman profile ansatz, its exact rewrite as exponential modes, and its fit."""

import jax
import jax.numpy as jnp
import optimistix as optx
from jaxtyping import Array, Float


_KM = 1e3  # the fit runs in km and 1/km for conditioning


def ansatz(params: Float[Array, "*channels 5"], z: Float[Array, " z"], length) -> Float[Array, "*channels z"]:
    """rho(z) = e^{-a z}[1 - C_f L_f(z) - C_b L_b(z)], params = (C_f, a_f, C_b, a_b, a) in 1/m.

    L_f = (1 - e^{-a_f z})/a_f, L_b = (e^{-a_b (L - z)} - e^{-a_b L})/a_b.

    ??? cite "References"
        H. Buglia et al., "A closed-form expression for the Gaussian noise model in the presence of
        Raman amplification", JLT 2024 (arXiv 2304.11974), Eq. (3) (form as in their ECOC 2022 paper).
    """
    cf, af, cb, ab, a = (params[..., j, None] for j in range(5))
    lf = -jnp.expm1(-af * z) / af
    lb = (jnp.exp(-ab * (length - z)) - jnp.exp(-ab * length)) / ab
    return jnp.exp(-a * z) * (1 - cf * lf - cb * lb)


def modes(params: Float[Array, "*channels 5"], length):
    """Amplitudes A_l and rates x_l with rho(z) = sum_l A_l e^{-x_l z} (exact rewrite of `ansatz`)."""
    cf, af, cb, ab, a = (params[..., j] for j in range(5))
    eb = jnp.exp(-ab * length) / ab
    amp = jnp.stack([1 - cf / af + cb * eb, cf / af, -cb * eb], axis=-1)
    rate = jnp.stack([a, a + af, a - ab], axis=-1)
    return amp, rate


def fit_ansatz(z, rho, length, init, *, solver=None, max_steps: int = 256):
    """Least-squares fit of `ansatz` to each row of rho (linear), vmapped over channels.

    Levenberg-Marquardt (`optimistix`), started at `init` (1/m); inputs and outputs are wrapped in
    `stop_gradient`. The fit is ill-conditioned and often non-unique, so no gradient flows through it.
    Returns (params in 1/m, max |error| in dB, optimistix RESULTS).
    """
    solver = optx.LevenbergMarquardt(rtol=1e-10, atol=1e-12) if solver is None else solver
    z, rho, length, init = jax.lax.stop_gradient((z, rho, length, init))
    zk, lk = z / _KM, length / _KM

    def one(r, p0):
        def residual(p, _):
            return ansatz(p, zk, lk) - r

        sol = optx.least_squares(residual, solver, p0 * _KM, max_steps=max_steps, throw=False)
        return sol.value / _KM, sol.result

    params, result = jax.vmap(one)(rho, init)
    params = jax.lax.stop_gradient(params)
    err = jnp.max(jnp.abs(10 * jnp.log10(jnp.abs(ansatz(params, z, length)) / rho)), axis=-1)
    return params, err, result
