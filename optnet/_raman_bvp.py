"""The backward-pump boundary-value problem of a Raman span: its first guess and its solvers."""

import abc
import contextlib
from collections.abc import Callable

import equinox as eqx
import jax
import jax.numpy as jnp
import lineax as lx
import numpy as np
import scipy.optimize
from jaxtyping import Array, Bool, Float

from ._results import RESULTS


def _log_mean(p0, p1, y0, y1):
    """(p0 - p1)/(ln p0 - ln p1): the mean of a power that is exponential between p0 and p1."""
    d = y0 - y1
    small = jnp.abs(d) < 1e-6
    return jnp.where(small, 0.5 * (p0 + p1), (p0 - p1) / jnp.where(small, 1.0, d))


def _relax(y, sign, alpha, coupling, boundary, length, n_forward, max_sweeps, damping, strong_damping, tol):
    """Damped Gauss-Seidel sweeps on the grid of `y` (waves x grid points); see `relaxation_guess`."""
    segments = y.shape[1] - 1
    h = length / segments
    zero = jnp.zeros((y.shape[0], 1), y.dtype)

    def update(y, rows, w):
        p = jnp.exp(jnp.minimum(y, 10.0))
        power = h * _log_mean(p[:, :-1], p[:, 1:], y[:, :-1], y[:, 1:])  # int P dz per segment
        step = sign[rows, None] * (-alpha[rows, None] * h + coupling[rows] @ power)
        if rows.start == 0:  # z-travelling waves, from z = 0
            new = boundary[rows, None] + jnp.concatenate([zero[rows], jnp.cumsum(step, axis=1)], axis=1)
        else:  # backward waves, from z = L
            new = boundary[rows, None] - jnp.concatenate([jnp.cumsum(step[:, ::-1], axis=1)[:, ::-1], zero[rows]], axis=1)
        return y.at[rows].add(w * (new - y[rows]))

    def body(carry):
        y, _, w, k = carry
        y_new = update(update(y, slice(0, n_forward), w), slice(n_forward, None), w)
        change = jnp.max(jnp.abs(y_new - y))
        change = jnp.where(jnp.isfinite(change), change, jnp.inf)
        # under-relaxed by `damping`; by `strong_damping` after `max_sweeps // 4` sweeps (strong pumping)
        w = jnp.where(k + 1 >= max_sweeps // 4, strong_damping, damping)
        return y_new, change, w, k + 1

    def cond(carry):
        _, change, _, k = carry
        return (change > tol) & jnp.isfinite(change) & (k < max_sweeps)

    init = (y, jnp.asarray(1e30, y.dtype), jnp.asarray(damping, y.dtype), 0)
    y, change, _, _ = jax.lax.while_loop(cond, body, init)
    return y, change <= tol


def relaxation_guess(
    sign: Float[Array, " waves"],
    alpha: Float[Array, " waves"],
    coupling: Float[Array, "waves waves"],
    boundary: Float[Array, " waves"],
    length,
    n_forward: int,
    *,
    segments: int = 32,
    max_sweeps: int = 256,
    damping: float = 0.5,
    strong_damping: float = 0.2,
    tol: float = 1e-4,
) -> tuple[Float[Array, " waves"], Bool[Array, ""]]:
    """Log-powers of every wave at z = 0 from damped Gauss-Seidel sweeps of the integrated Raman
    equations ln P_i(z) = ln P_i(z_i) + s_i int_{z_i}^z (-alpha_i + sum_k M_ik P_k) dz' on a coarse grid.

    The waves are ordered z-travelling first (`n_forward` of them, `boundary` = ln P at z = 0), then
    backward (`boundary` = ln P at z = L). Each sweep integrates the z-travelling waves from z = 0
    and then the backward waves from z = L (each in its own, stable, direction) over the other
    group's latest powers, with each segment's power integrated exactly for an exponential (its
    log-mean). A sweep moves the log-powers by `damping` of the way, and by `strong_damping` after
    `max_sweeps // 4` unsettled sweeps (strong pumping, where the sweeps oscillate). The sweeps run
    on `segments` and then, warm-started, on twice as many segments; the two are combined by
    Richardson extrapolation (the grid error is O(h^2)). Returns the z = 0 log-powers and whether
    both settled (max change < `tol`). A first guess only: not differentiated.

    ??? cite "References"
        Forward/backward relaxation with average powers per segment: B. Min, W. J. Lee, N. Park,
        "Efficient formulation of Raman amplifier propagation equations with average power
        analysis", IEEE PTL 12(11), 2000; L. F. Richardson, Phil. Trans. R. Soc. A 210, 1911
        (extrapolation).
    """
    sign, alpha, coupling, boundary, length = jax.lax.stop_gradient((sign, alpha, coupling, boundary, length))
    fwd = (jnp.arange(sign.shape[0]) < n_forward)[:, None]
    z = jnp.linspace(0.0, 1.0, segments + 1, dtype=alpha.dtype) * length
    y = jnp.where(fwd, boundary[:, None] - alpha[:, None] * z, boundary[:, None] - alpha[:, None] * (length - z))
    opts = (n_forward, max_sweeps, damping, strong_damping, tol)
    coarse, ok_coarse = _relax(y, sign, alpha, coupling, boundary, length, *opts)
    fine = jnp.zeros((y.shape[0], 2 * segments + 1), y.dtype)
    fine = fine.at[:, ::2].set(coarse).at[:, 1::2].set(0.5 * (coarse[:, :-1] + coarse[:, 1:]))
    fine, ok_fine = _relax(fine, sign, alpha, coupling, boundary, length, *opts)
    return (4 * fine[:, 0] - coarse[:, 0]) / 3, ok_coarse & ok_fine


class AbstractBVPSolver(eqx.Module):
    """Finds x with residual(x, args) = 0 (the z=0 log-powers of the backward pumps).

    Subclasses implement `find` (the root, not differentiated); `solve` integrates the span through
    it and differentiates both once for every solver, by the implicit function theorem.
    """

    @abc.abstractmethod
    def find(self, residual: Callable, x0: Array, args, active) -> tuple[Array, Array, Array]:
        """(root near `x0`, `RESULTS` code as an int array, the Jacobian of `residual` at the root or
        within rounding of it: the implicit gradient uses it). `residual` supports forward mode.
        `active` (a traced bool) may say that the answer is not needed (a fallback branch under
        `vmap`); nothing is differentiated."""

    def solve(self, residual: Callable, profile: Callable, forward_profile: Callable, x0: Array, args, target: Array,
              end) -> tuple[Array, Array, RESULTS]:
        """The states along the span through the root of the boundary condition, differentiable
        (reverse mode) with respect to `args` and `target`.

        `profile(x, args)` integrates from the unknown z = 0 values `x` and returns `(states at the
        saved points, whether the ODE solve succeeded)`; `forward_profile` is the same solution in a
        forward-mode-capable form. The boundary condition is `states[-1, end] = target`; `find`
        drives its residual `residual(x, (args, target))` (forward mode) to zero from `x0`.
        Returns `(states, ODE ok, RESULTS of the root)`.

        The gradient, by the implicit function theorem: for cotangents Y of the states,
        g = (d states/dx)^T Y from `len(x)` forward-mode directions, lambda = J^{-T} g with the
        Jacobian `find` returns (at the last iterate, within rounding of the root); d/d args is one
        VJP of `profile` with Y less lambda at the boundary components of the last point, and
        d/d target = lambda. So one reverse pass of the ODE serves the profile and the boundary
        condition (two separate reverse passes compiled about 2 s slower)."""

        @jax.jit
        def find_jit(x0_, at):
            return self.find(residual, x0_, at, jnp.asarray(True))

        def find(x0_, at):
            # jitted, under the same mesh context for the primal and for `fwd` (which JAX traces
            # under an explicit empty mesh): one trace of the solve serves both
            with _same_mesh():
                return find_jit(x0_, at)

        def primal(x0_, args_, target_):
            x, code, _ = find(x0_, (args_, target_))
            return (*profile(x, args_), code)

        run = jax.custom_vjp(primal)

        def fwd(x0_, args_, target_):
            x, code, jac = find(x0_, (args_, target_))
            return (*profile(x, args_), code), (x, jac, x0_, args_)

        def bwd(saved, cot):
            x, jac, x0_, args_ = saved
            states_ct = cot[0]
            basis = jnp.eye(x.shape[0], dtype=x.dtype)
            tangents = jax.vmap(lambda t: jax.jvp(lambda x_: forward_profile(x_, args_)[0], (x,), (t,))[1])(basis)
            g = jnp.tensordot(tangents, states_ct, axes=states_ct.ndim)
            lam = lx.linear_solve(lx.MatrixLinearOperator(jac.T), g, throw=False).value
            _, vjp = jax.vjp(lambda a: profile(x, a)[0], args_)
            return jnp.zeros_like(x0_), vjp(states_ct.at[-1, end].add(-lam))[0], lam

        run.defvjp(fwd, bwd)
        states, ok, code = run(jax.lax.stop_gradient(x0), args, target)
        return states, ok, RESULTS.where(code == RESULTS.successful._value, RESULTS.successful, RESULTS.bvp_failed)


def _same_mesh():
    """The current abstract mesh, set explicitly (a no-op where JAX has no abstract meshes)."""
    if not hasattr(jax.sharding, "use_abstract_mesh"):
        return contextlib.nullcontext()
    return jax.sharding.use_abstract_mesh(jax.sharding.get_abstract_mesh())


class TNCBVP(AbstractBVPSolver):
    """scipy's bounded truncated-Newton (TNC) on ||residual||^2 (log-powers in [ln 1e-7, ln 1e3] W),
    called through `jax.pure_callback`, then Newton polishing.

    **Fields:** `tol` (max |residual| accepted), `max_fun` (function evaluations, static).
    """

    tol: float = 1e-10
    max_fun: int = eqx.field(static=True, default=200)

    def find(self, residual, x0, args, active):
        tol, max_fun = self.tol, self.max_fun
        res_jit = jax.jit(residual)
        jac = jax.jit(jax.jacfwd(residual))

        def host(x0_, args_, active_):
            x0_ = np.asarray(x0_)
            dtype = x0_.dtype
            if not bool(active_):
                return x0_, np.int32(RESULTS.bvp_failed._value), np.eye(x0_.size, dtype=dtype)

            def fg(x):  # 0.5 |r|^2 and J^T r, with the forward-mode Jacobian Newton uses
                xj = jnp.asarray(x, dtype)
                r = np.asarray(res_jit(xj, args_), np.float64)
                return 0.5 * float(r @ r), np.asarray(jac(xj, args_), np.float64).T @ r

            bounds = [(np.log(1e-7), np.log(1e3))] * x0_.size
            out = scipy.optimize.minimize(
                fg, np.asarray(x0_, np.float64), jac=True, method="TNC", bounds=bounds,
                options={"maxfun": max_fun, "ftol": 0.0, "xtol": 0.0, "gtol": 0.0},
            )
            x = out.x
            # polish with Newton steps on the square system (TNC stops on a relative criterion)
            for _ in range(3):
                r = np.asarray(res_jit(jnp.asarray(x, dtype), args_))
                if not np.all(np.isfinite(r)) or np.max(np.abs(r)) < tol:
                    break
                x = x - np.linalg.solve(np.asarray(jac(jnp.asarray(x, dtype), args_)), r)
            r = np.asarray(res_jit(jnp.asarray(x, dtype), args_))
            ok = bool(np.all(np.isfinite(x)) and np.all(np.isfinite(r))
                      and np.max(np.abs(r)) < max(tol, 1e3 * np.finfo(dtype).eps))
            code = RESULTS.successful._value if ok else RESULTS.bvp_failed._value
            j = np.asarray(jac(jnp.asarray(x, dtype), args_), dtype) if ok else np.eye(x.size, dtype=dtype)
            return np.asarray(x, dtype), np.int32(code), j

        shapes = (jax.ShapeDtypeStruct(x0.shape, x0.dtype), jax.ShapeDtypeStruct((), jnp.int32),
                  jax.ShapeDtypeStruct(x0.shape * 2, x0.dtype))
        return jax.pure_callback(host, shapes, x0, args, active, vmap_method="sequential")


class NewtonBVP(AbstractBVPSolver):
    """Newton iterations, each taking the residual and its Jacobian from one forward-mode pass (a
    vmapped JVP of the ODE solve); if they fail, `fallback` from the same first guess (default
    `TNCBVP()`, a bounded minimiser of ||residual||^2: global where Newton is not). `fallback=None`
    reports the failure at once. With the relaxation first guess (`relaxation_guess`) Newton
    converges in 2-4 iterations, and its last Jacobian (within rounding of the root's) serves the
    implicit gradient.

    **Fields:** `rtol`, `atol` (tolerances on x), `max_steps` (static), `fallback` (static).
    """

    rtol: float = 1e-11
    atol: float = 1e-11
    max_steps: int = eqx.field(static=True, default=32)
    fallback: AbstractBVPSolver | None = eqx.field(static=True, default=TNCBVP())

    def find(self, residual, x0, args, active):
        # Newton, the residual and its Jacobian from one forward-mode pass per iterate (a vmapped
        # JVP: one ODE solve in the compiled graph, which the implicit gradient reuses); stopped
        # when the step is below atol + rtol |x|, so the last Jacobian is within rounding of the
        # root's
        basis = jnp.eye(x0.shape[0], dtype=x0.dtype)

        def body(carry):
            x, _, _, k = carry
            r, jt = jax.vmap(lambda t: jax.jvp(lambda x_: residual(x_, args), (x,), (t,)))(basis)
            jac = jt.T  # jt[i] = J e_i
            step = jnp.linalg.solve(jac, r[0])
            small = jnp.all(jnp.abs(step) <= self.atol + self.rtol * jnp.abs(x))
            return x - step, small, jac, k + 1

        def cond(carry):
            x, small, _, k = carry
            return ~small & (k < self.max_steps) & jnp.all(jnp.isfinite(x))

        x, small, jac, _ = jax.lax.while_loop(cond, body, (x0, jnp.asarray(False), basis, 0))
        ok = small & jnp.all(jnp.isfinite(x))
        code = jnp.where(ok, RESULTS.successful._value, RESULTS.bvp_failed._value).astype(jnp.int32)
        if self.fallback is None:
            return x, code, jac
        fallback = self.fallback
        # a real branch unless vmapped (then `active` spares the fallback's work)
        return jax.lax.cond(ok, lambda _: (x, code, jac),
                            lambda _: fallback.find(residual, x0, args, jnp.logical_and(active, ~ok)), None)
