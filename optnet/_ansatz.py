"""The 5-parameter Raman profile ansatz, its exact rewrite as exponential modes, and its fit."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import optimistix as optx
from jaxtyping import Array, Float


_KM = 1e3  # the fit runs in km and 1/km for conditioning


def _expm1_over(x):
    """(e^x - 1)/x, with its series near 0 so that values and derivatives stay finite as x -> 0."""
    small = jnp.abs(x) < 1e-3
    xs = jnp.where(small, 1.0, x)
    return jnp.where(small, 1 + x / 2 + x**2 / 6 + x**3 / 24, jnp.expm1(xs) / xs)


def ansatz(params: Float[Array, "*channels 5"], z: Float[Array, " z"], length) -> Float[Array, "*channels z"]:
    """rho(z) = e^{-a z}[1 - C_f L_f(z) - C_b L_b(z)], params = (C_f, a_f, C_b, a_b, a) in 1/m.

    L_f = (1 - e^{-a_f z})/a_f, L_b = (e^{-a_b (L - z)} - e^{-a_b L})/a_b.

    ??? cite "References"
        H. Buglia et al., "A closed-form expression for the Gaussian noise model in the presence of
        Raman amplification", JLT 2024 (arXiv 2304.11974), Eq. (3) (form as in their ECOC 2022 paper).
    """
    cf, af, cb, ab, a = (params[..., j, None] for j in range(5))
    lf = z * _expm1_over(-af * z)  # (1 - e^{-a_f z})/a_f, finite as a_f -> 0
    lb = jnp.exp(-ab * length) * z * _expm1_over(ab * z)
    return jnp.exp(-a * z) * (1 - cf * lf - cb * lb)


def modes(params: Float[Array, "*channels 5"], length):
    """Amplitudes A_l and rates x_l with rho(z) = sum_l A_l e^{-x_l z} (exact rewrite of `ansatz`)."""
    cf, af, cb, ab, a = (params[..., j] for j in range(5))
    eb = jnp.exp(-ab * length) / ab
    amp = jnp.stack([1 - cf / af + cb * eb, cf / af, -cb * eb], axis=-1)
    rate = jnp.stack([a, a + af, a - ab], axis=-1)
    return amp, rate


def _loss(params_km, z_km, rho, length_km):
    """Half the squared misfit of the ansatz (params in 1/km, z and L in km) to one channel's rho."""
    return 0.5 * jnp.sum((ansatz(params_km, z_km, length_km) - rho) ** 2)


@functools.partial(jax.custom_jvp, nondiff_argnums=(4, 5))
def _fit(z_km, rho, length_km, init_km, solver, max_steps):
    def one(r, p0):
        sol = optx.least_squares(lambda p, _: ansatz(p, z_km, length_km) - r, solver, p0,
                                 max_steps=max_steps, throw=False)
        return sol.value, sol.result

    return jax.vmap(one)(rho, init_km)


@_fit.defjvp
def _fit_jvp(solver, max_steps, primals, tangents):
    """Implicit function theorem on the stationarity of the fit, grad_p loss(p*; z, rho, L) = 0:
    dp* = -H^+ d(grad_p loss), with H the loss's Hessian in p. H^+ is the pseudo-inverse (eigenvalues
    below 1e-10 of the largest dropped): directions the fitted curve does not depend on get no
    tangent. A channel whose fit is not a minimum (negative curvature: the fit stopped on a saddle)
    or has a pump rate a_f or a_b below 0.01/L (the mode amplitudes C/a of `modes` blow up) gets no
    tangent at all: there the gradient falls back to the surrogate's for that channel."""
    z_km, rho, length_km, init_km = primals
    dz, drho, dlength, _ = tangents
    params, result = _fit(z_km, rho, length_km, init_km, solver, max_steps)

    def one(p, r, dr):
        hess = jax.hessian(_loss)(p, z_km, r, length_km)
        _, mixed = jax.jvp(lambda zz, rr, ll: jax.grad(_loss)(p, zz, rr, ll), (z_km, r, length_km), (dz, dr, dlength))
        w, v = jnp.linalg.eigh(hess)
        keep = w > 1e-10 * jnp.max(jnp.abs(w))
        inv = jnp.where(keep, 1 / jnp.where(keep, w, 1.0), 0.0)
        # well conditioned: a minimum (no negative curvature) whose pump rates are not near 0, where
        # the mode amplitudes C/a blow up (`modes`); elsewhere no tangent (the surrogate's)
        rates_ok = (jnp.abs(p[1]) * length_km > 1e-2) & (jnp.abs(p[3]) * length_km > 1e-2)
        ok = (w[0] > -1e-8 * w[-1]) & rates_ok
        return jnp.where(ok, -v @ (inv * (v.T @ mixed)), 0.0)

    dparams = jax.vmap(one)(params, rho, drho)
    dresult = jax.tree.map(lambda x: np.zeros(np.shape(x), jax.dtypes.float0), result)
    return (params, result), (dparams, dresult)


def fit_ansatz(z, rho, length, init, *, solver=None, max_steps: int = 256):
    """Least-squares fit of `ansatz` to each row of rho (linear), vmapped over channels.

    Levenberg-Marquardt (`optimistix`), started at `init` (1/m, not differentiated). The fitted
    parameters are differentiable with respect to `z`, `rho` and `length`: implicitly, through the
    stationarity of the fit (see `_fit_jvp`), forward and reverse mode. The ansatz is not exact, so
    the fit is a least-squares optimum, not an interpolation; where the fit is degenerate (a mode
    with no amplitude), its undetermined parameters get no derivative.
    Returns (params in 1/m, max |error| in dB, optimistix RESULTS).
    """
    solver = optx.LevenbergMarquardt(rtol=1e-10, atol=1e-12) if solver is None else solver
    init = jax.lax.stop_gradient(init)
    params_km, result = _fit(z / _KM, rho, length / _KM, init * _KM, solver, max_steps)
    params = params_km / _KM
    err = jnp.max(jnp.abs(10 * jnp.log10(jnp.abs(ansatz(params, z, length)) / rho)), axis=-1)
    return params, err, result
