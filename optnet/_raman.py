"""Distributed Raman amplification: the pump/signal Raman ODE and the backward-pump boundary-value problem."""

import abc
from collections.abc import Callable, Sequence

import diffrax
import equinox as eqx
import jax
import jax.numpy as jnp
import lineax as lx
import numpy as np
import optimistix as optx
import scipy.optimize
from jaxtyping import Array, ArrayLike, Float

from ._amplifier import Edfa, ase_power
from ._results import RESULTS
from ._checks import AbstractValidated, Rule, Rules, as_float_array, enforce, value_rules
from ._fibre import Fibre
from ._profile import SampledProfile
from ._raman_gain import raman_coupling
from ._span import AbstractSpan, SpanOutput
from ._units import BOLTZMANN, PLANCK, db_per_km_to_per_m


class Pumps(AbstractValidated):
    """A set of Raman pumps travelling in one direction.

    **Fields:**

    - `frequency`: Hz.
    - `power`: W, at the fibre end where the pumps are injected (z = 0 forward, z = L backward).
    - `attenuation`: power attenuation at the pump frequencies, 1/m (default 0.25 dB/km).
    - `unchecked`: skip the plausible-range checks (static): frequency 1-1,000 THz, power
      1 uW-10 W, attenuation 1e-6-1e-2 1/m.
    """

    frequency: Float[Array, " pumps"]
    power: Float[Array, " pumps"]
    attenuation: Float[Array, " pumps"]
    unchecked: bool = eqx.field(static=True)

    def __init__(
        self,
        frequency: ArrayLike | Sequence[float] = (),
        power: ArrayLike | Sequence[float] = (),
        attenuation: ArrayLike | Sequence[float] | None = None,
        *,
        unchecked: bool = False,
    ):
        self.unchecked = unchecked
        self.frequency = jnp.atleast_1d(as_float_array(jnp.asarray(frequency, dtype=float)))
        n = self.frequency.shape[0]

        def per_pump(x, name):
            x = as_float_array(jnp.asarray(x, dtype=float))
            if x.ndim > 1 or (x.ndim == 1 and x.shape[0] != n):
                raise ValueError(f"`{name}` must be a scalar or one value per pump ({n}); got shape {x.shape}.")
            return jnp.broadcast_to(x, (n,))

        self.power = per_pump(power, "power")
        self.attenuation = per_pump(db_per_km_to_per_m(0.25) if attenuation is None else attenuation, "attenuation")
        if self.frequency.ndim != 1:
            raise ValueError(f"Pump `frequency` must be 1-D; got shape {self.frequency.shape}.")

    def rules(self) -> Rules:
        f = self.frequency
        same = jnp.diff(jnp.sort(f)) == 0
        plausible = not self.unchecked
        return [
            *value_rules(f, "Pumps.frequency", positive=True, unit="Hz", plausible=(1e12, 1e15) if plausible else None,
                         hint="pump frequencies are in Hz (206 THz is 206e12)"),
            *value_rules(self.power, "Pumps.power", positive=True, unit="W", plausible=(1e-6, 10.0) if plausible else None,
                         hint="pump powers are in W (500 mW is 0.5)"),
            *value_rules(self.attenuation, "Pumps.attenuation", positive=True, unit="1/m",
                         plausible=(1e-6, 1e-2) if plausible else None,
                         hint="attenuation is in 1/m (0.25 dB/km is 5.8e-5)"),
            Rule(same, "Two pumps of one `Pumps` share a frequency: merge them into one pump."),
        ]

    @property
    def n(self) -> int:
        return self.frequency.shape[0]


class AbstractBVPSolver(eqx.Module):
    """Finds x with residual(x, args) = 0 (the z=0 log-powers of the backward pumps)."""

    @abc.abstractmethod
    def solve(self, residual: Callable, x0: Array, args) -> tuple[Array, RESULTS]:
        """Root of `residual(., args)` near `x0`, differentiable with respect to `args`."""


class NewtonBVP(AbstractBVPSolver):
    """Newton's method (`optimistix.Newton`) with implicit differentiation (`ImplicitAdjoint`).

    The residual integrates the Raman ODE, so Newton's Jacobian needs forward mode through
    `diffeqsolve` and the implicit adjoint needs reverse mode: `RamanSpan.bvp_adjoint` supports both.
    """

    rtol: float = 1e-11
    atol: float = 1e-11
    max_steps: int = eqx.field(static=True, default=64)

    def solve(self, residual, x0, args):
        sol = optx.root_find(
            residual, optx.Newton(self.rtol, self.atol), x0, args,
            max_steps=self.max_steps, adjoint=optx.ImplicitAdjoint(), throw=False,
        )
        ok = sol.result == optx.RESULTS.successful
        return sol.value, RESULTS.where(ok, RESULTS.successful, RESULTS.bvp_failed)


class TNCBVP(AbstractBVPSolver):
    """scipy's bounded truncated-Newton (TNC) on ||residual||^2 (log-powers in [ln 1e-7, ln 1e3] W),
    called through `jax.pure_callback`; gradients by the implicit function theorem in a
    `jax.custom_vjp` (one Jacobian at the solution, one `lineax` solve).
    """

    tol: float = 1e-10
    max_fun: int = eqx.field(static=True, default=500)

    def solve(self, residual, x0, args):
        tol, max_fun = self.tol, self.max_fun
        value_and_grad = jax.jit(jax.value_and_grad(lambda x, a: 0.5 * jnp.sum(residual(x, a) ** 2)))
        res_jit = jax.jit(residual)

        def host(x0_, args_):
            x0_ = np.asarray(x0_, dtype=np.float64)

            def fg(x):
                v, g = value_and_grad(jnp.asarray(x, x0_.dtype), args_)
                return float(v), np.asarray(g, dtype=np.float64)

            bounds = [(np.log(1e-7), np.log(1e3))] * x0_.size
            out = scipy.optimize.minimize(
                fg, x0_, jac=True, method="TNC", bounds=bounds,
                options={"maxfun": max_fun, "ftol": 0.0, "xtol": 0.0, "gtol": 0.0},
            )
            x = out.x
            # polish with Newton steps on the square system (TNC stops on a relative criterion)
            jac = jax.jit(jax.jacfwd(residual))
            for _ in range(3):
                r = np.asarray(res_jit(jnp.asarray(x, x0_.dtype), args_))
                if np.max(np.abs(r)) < tol:
                    break
                x = x - np.linalg.solve(np.asarray(jac(jnp.asarray(x, x0_.dtype), args_)), r)
            r = np.asarray(res_jit(jnp.asarray(x, x0_.dtype), args_))
            ok = bool(np.all(np.isfinite(x)) and np.max(np.abs(r)) < max(tol, 1e3 * np.finfo(x0_.dtype).eps))
            return np.asarray(x, x0_.dtype), np.int32(ok)

        @jax.custom_vjp
        def root(x0_, args_):
            shapes = (jax.ShapeDtypeStruct(x0_.shape, x0_.dtype), jax.ShapeDtypeStruct((), jnp.int32))
            return jax.pure_callback(host, shapes, x0_, args_, vmap_method="sequential")

        def fwd(x0_, args_):
            out = root(x0_, args_)
            return out, (out[0], x0_, args_)

        def bwd(saved, cot):
            x, x0_, args_ = saved
            g = cot[0]
            jac = jax.jacfwd(residual)(x, args_)
            lam = lx.linear_solve(lx.MatrixLinearOperator(jac.T), g).value
            _, vjp = jax.vjp(lambda a: residual(x, a), args_)
            return jnp.zeros_like(x0_), vjp(-lam)[0]

        root.defvjp(fwd, bwd)
        x, ok = root(jax.lax.stop_gradient(x0), args)
        return x, RESULTS.where(ok == 1, RESULTS.successful, RESULTS.bvp_failed)


class RamanProfile(eqx.Module):
    """Powers along a Raman-pumped span.

    **Fields:**

    - `z`: m, sample positions from 0 to L.
    - `signal`, `forward_pump`, `backward_pump`: W, shape `(waves, z)`.
    - `ase`: forward spontaneous Raman ASE in each channel's noise bandwidth, W (zeros unless
      `RamanSpan.spontaneous`).
    - `result`: `RESULTS` of the solve.
    """

    z: Float[Array, " z"]
    signal: Float[Array, "channels z"]
    forward_pump: Float[Array, "fpumps z"]
    backward_pump: Float[Array, "bpumps z"]
    ase: Float[Array, "channels z"]
    result: RESULTS

    @property
    def rho(self) -> Float[Array, "channels z"]:
        """Normalised signal profile P_i(z)/P_i(0)."""
        return self.signal / self.signal[:, :1]

    @property
    def net_gain(self) -> Float[Array, " channels"]:
        """Net span gain P_i(L)/P_i(0) (linear)."""
        return self.signal[:, -1] / self.signal[:, 0]


class RamanSpan(AbstractSpan):
    """A fibre span with distributed Raman pumps; solves the coupled pump/signal power equations

        dP_i/dz = s_i (-alpha_i + sum_k M_ik P_k) P_i,   s_i = +1 (z-travelling), -1 (backward pumps),

    with M from the fibre's Raman gain (`raman_coupling`), in log-power form. Backward pumps are given
    at z = L, which makes a two-point boundary-value problem solved by `bvp_solver`.

    **Fields:**

    - `fibre`: the `Fibre` (signal loss, Raman gain; a triangular or tabulated gain).
    - `forward`, `backward`: `Pumps` (either may be empty).
    - `amplifier`: an `Edfa` after the fibre (hybrid Raman + EDFA span), or None (Raman only).
    - `signal_signal`: keep the signal-signal Raman block (ISRS). Set False when a closed-form ISRS
      term accounts for it, to avoid double counting.
    - `photon_ratio`: the higher-frequency wave loses f_i/f_k times the gained power (photon counting).
    - `ode_solver`, `stepsize_controller`, `max_steps`: Diffrax integration of the outer profile
      (differentiated with `adjoint`, default `RecursiveCheckpointAdjoint`).
    - `bvp_solver`: `NewtonBVP()` (default) or `TNCBVP()`; its residual uses `bvp_adjoint`
      (`DirectAdjoint`: forward and reverse mode).
    - `n_z`: samples of the returned profile.
    - `continuation_stages`: if > 0 and the BVP fails from the first guess, it is solved again by
      continuation in the backward-pump powers over this many geometric stages up to the targets
      (for very strong pumping; free at run time when the first attempt converges, but it adds
      about 2 s to the gradient's compile time, hence off by default).
    - `spontaneous`: also integrate the forward spontaneous Raman ASE of each channel,
      dN_i/dz = (-alpha_i + sum_k M_ik P_k) N_i + sum_{f_k > f_i} g(f_k - f_i) P_k 2 h f_i B_i (1 + eta),
      eta = 1/(exp(h (f_k - f_i)/(k T)) - 1) the phonon occupancy at `temperature` (K)
      (Bromage 2004, Eq. (3)); needs `noise_bandwidth` in `solve`.

    ??? cite "References"
        J. Bromage, "Raman amplification for fiber communications systems", JLT 22(1), 2004, Eq. (1);
        Agrawal, *Nonlinear Fiber Optics*, Sec. 8.1; M. Jarmolovicius et al. / XLRON documentation
        for the BVP-with-ODE pipeline.
    """

    fibre: Fibre
    forward: Pumps
    backward: Pumps
    amplifier: Edfa | None = None
    signal_signal: bool = eqx.field(static=True, default=True)
    photon_ratio: bool = eqx.field(static=True, default=True)
    # solver objects are static: they hold functions and tolerances, not parameters, so plain
    # `jax.jit`/`jax.grad` can take a span as an argument
    ode_solver: diffrax.AbstractSolver = eqx.field(static=True, default=diffrax.Tsit5())
    stepsize_controller: diffrax.AbstractStepSizeController = eqx.field(
        static=True, default=diffrax.PIDController(rtol=1e-10, atol=1e-10)
    )
    bvp_solver: AbstractBVPSolver = eqx.field(static=True, default=NewtonBVP())
    adjoint: diffrax.AbstractAdjoint = eqx.field(static=True, default=diffrax.RecursiveCheckpointAdjoint())
    bvp_adjoint: diffrax.AbstractAdjoint = eqx.field(static=True, default=diffrax.DirectAdjoint())
    max_steps: int = eqx.field(static=True, default=4096)
    n_z: int = eqx.field(static=True, default=101)
    spontaneous: bool = eqx.field(static=True, default=False)
    temperature: float | Float[Array, ""] = 300.0
    continuation_stages: int = eqx.field(static=True, default=0)

    def __check_init__(self):
        if self.n_z < 2:
            raise ValueError(f"`RamanSpan.n_z` must be >= 2 (samples of the profile); got {self.n_z}.")
        if self.max_steps < 1:
            raise ValueError(f"`RamanSpan.max_steps` must be >= 1; got {self.max_steps}.")
        if self.continuation_stages < 0:
            raise ValueError(f"`RamanSpan.continuation_stages` must be >= 0; got {self.continuation_stages}.")

    def rules(self) -> Rules:
        return [
            *super().rules(),
            *self.forward.rules(),
            *self.backward.rules(),
            *value_rules(self.temperature, "RamanSpan.temperature", positive=True, unit="K",
                         plausible=(1.0, 1e4), hint="the temperature is in kelvin (300 K is room temperature)"),
        ]

    def spectrum_rules(self, spectrum) -> Rules:
        edge = jnp.max(spectrum.frequency + 0.5 * spectrum.symbol_rate)
        pumps = jnp.concatenate([self.forward.frequency, self.backward.frequency], axis=-1)
        return [Rule(pumps <= edge, "A Raman pump lies inside or below the signal band: pumps must be above "
                     "the highest channel (Raman gain flows to lower frequencies; frequencies are in Hz).")]

    def _system(self, signal_frequency):
        f = jnp.concatenate([signal_frequency, self.forward.frequency, self.backward.frequency])
        alpha = jnp.concatenate(
            [self.fibre.alpha(signal_frequency), self.forward.attenuation, self.backward.attenuation]
        )
        n = signal_frequency.shape[0]
        sign = jnp.concatenate([jnp.ones(n + self.forward.n), -jnp.ones(self.backward.n)]).astype(alpha.dtype)
        m = raman_coupling(self.fibre.raman, f, self.photon_ratio)
        if not self.signal_signal:
            m = m.at[:n, :n].set(0.0)
        return sign, alpha, m

    def _integrate(self, y0, system, saveat, adjoint, backwards: bool = False, source=None):
        def rhs(z, y, args):
            sign, alpha, m = args[:3]
            if source is None:
                # cap at e^10 W: a wild Newton iterate gives a large finite residual, not inf
                return sign * (-alpha + m @ jnp.exp(jnp.minimum(y, 10.0)))
            k = sign.shape[0]
            p = jnp.exp(jnp.minimum(y[:k], 10.0))
            n = y[k:].shape[0]
            dlog = sign * (-alpha + m @ p)
            dase = dlog[:n] * y[k:] + args[3] @ p
            return jnp.concatenate([dlog, dase])

        if source is not None:
            system = (*system, source)

        t0, t1 = (self.fibre.length, 0.0) if backwards else (0.0, self.fibre.length)
        return diffrax.diffeqsolve(
            diffrax.ODETerm(rhs), self.ode_solver, t0, t1, None, y0, args=system,
            saveat=saveat, stepsize_controller=self.stepsize_controller, adjoint=adjoint,
            max_steps=self.max_steps, throw=False,
        )

    def _continuation(self, residual, x, result, args):
        """On failure, re-solve with backward-pump targets scaled by t_1 < ... < t_K = 1 (geometric
        from 1e-3), each stage started from the previous root; the last stage is the real problem,
        so its implicit gradient is the gradient of the solution."""
        head, target, system, dynamic = args
        ts = jnp.geomspace(1e-3, 1.0, self.continuation_stages).astype(target.dtype)
        fallback_x0 = target - self.backward.attenuation * self.fibre.length

        def rescue(_):
            def stage(carry, t):
                x_prev, t_prev = carry
                x_start = jax.lax.stop_gradient(x_prev + jnp.log(t / t_prev))
                x_new, res = self.bvp_solver.solve(residual, x_start, (head, target + jnp.log(t), system, dynamic))
                return (x_new, t), res._value

            (x_last, _), codes = jax.lax.scan(stage, (fallback_x0, jnp.ones((), ts.dtype)), ts)
            ok = codes[-1] == RESULTS.successful._value
            return x_last, RESULTS.where(ok, RESULTS.successful, RESULTS.bvp_failed)._value

        failed = result != RESULTS.successful
        x_new, code = jax.lax.cond(failed, rescue, lambda _: (x, result._value), None)
        return x_new, RESULTS.where(code == RESULTS.successful._value, RESULTS.successful, RESULTS.bvp_failed)

    @eqx.filter_jit
    def solve(
        self,
        signal_frequency: Float[Array, " channels"],
        signal_power: Float[Array, " channels"],
        *,
        noise_bandwidth: Float[Array, " channels"] | None = None,
        throw: bool = True,
    ) -> RamanProfile:
        """Powers along the span for signals launched with `signal_power` (W) at `signal_frequency` (Hz).

        `noise_bandwidth` (Hz per channel) is needed with `spontaneous=True`.
        """
        if self.spontaneous and noise_bandwidth is None:
            raise ValueError("`spontaneous=True` needs `noise_bandwidth` (Hz per channel) in `solve`.")
        span, signal_power = enforce(
            (self, signal_power),
            [*self.rules(), Rule(signal_power <= 0, "A Raman span's signal powers must be > 0 W (log-power form).")],
        )
        fibre, fwd_p, bwd_p = span.fibre, span.forward.power, span.backward.power
        system = span._system(signal_frequency)
        n, mf = signal_frequency.shape[0], self.forward.n
        head = jnp.log(jnp.concatenate([signal_power, fwd_p]))
        result = RESULTS.successful
        if self.backward.n > 0:
            target = jnp.log(bwd_p)
            dynamic, static = eqx.partition(span, eqx.is_array)

            def residual(x, args):  # closes over static data only: every array travels in `args`
                head_, target_, system_, dynamic_ = args
                s = eqx.combine(dynamic_, static)
                sol = s._integrate(jnp.concatenate([head_, x]), system_, diffrax.SaveAt(t1=True), s.bvp_adjoint)
                return sol.ys[-1, n + mf :] - target_

            # first guess: one sweep from z = L to 0 (the stable direction for backward pumps) with
            # signals and forward pumps at z = L estimated by their passive loss
            alpha = system[1]
            guess_l = jnp.concatenate([head - alpha[: n + mf] * fibre.length, target])
            sweep = span._integrate(jax.lax.stop_gradient(guess_l), jax.lax.stop_gradient(system),
                                    diffrax.SaveAt(t1=True), diffrax.RecursiveCheckpointAdjoint(), backwards=True)
            x0 = jnp.where(jnp.isfinite(sweep.ys[-1, n + mf :]), sweep.ys[-1, n + mf :],
                           target - self.backward.attenuation * fibre.length)
            args = (head, target, system, dynamic)
            x, result = self.bvp_solver.solve(residual, x0, args)
            if self.continuation_stages > 0:
                x, result = self._continuation(residual, x, result, args)
            y0 = jnp.concatenate([head, x])
        else:
            y0 = head
        z = jnp.linspace(0.0, 1.0, self.n_z) * fibre.length
        source = None
        if self.spontaneous:
            freqs = jnp.concatenate([signal_frequency, self.forward.frequency, self.backward.frequency])
            shift = freqs[None, :] - signal_frequency[:, None]
            up = shift > 0
            occupancy = 1 / jnp.expm1(PLANCK * jnp.where(up, shift, 1.0) / (BOLTZMANN * self.temperature))
            gain = jnp.where(up, system[2][:n], 0.0)
            # the ASE state is N_i/(2 h f_i B_i): O(1..1e6), so the controller's atol suits it
            source = gain * (1 + occupancy)
            ase_unit = 2 * PLANCK * signal_frequency * noise_bandwidth
            y0 = jnp.concatenate([y0, jnp.zeros(n, y0.dtype)])
        sol = span._integrate(y0, system, diffrax.SaveAt(ts=z), self.adjoint, source=source)
        ode_ok = sol.result == diffrax.RESULTS.successful
        result = RESULTS.where(ode_ok, result, RESULTS.ode_failed)
        k = n + mf + self.backward.n
        ase = sol.ys[:, k:].T * ase_unit[:, None] if self.spontaneous else jnp.zeros((n, self.n_z), sol.ys.dtype)
        p = jnp.exp(sol.ys[:, :k].T)
        if throw:
            p = result.error_if(p, result != RESULTS.successful)
        return RamanProfile(z=z, signal=p[:n], forward_pump=p[n : n + mf], backward_pump=p[n + mf :], ase=ase, result=result)

    def fit_init(self, signal_frequency, signal_power, profile: RamanProfile) -> Float[Array, "channels 5"]:
        """First guess (1/m) for the ansatz fit from the linearised Raman ODE (docs/raman.md)."""
        f = signal_frequency
        n = f.shape[0]
        freqs = jnp.concatenate([f, self.forward.frequency, self.backward.frequency])
        m = raman_coupling(self.fibre.raman, freqs, self.photon_ratio)[:n]
        p_fwd = jnp.concatenate([signal_power if self.signal_signal else jnp.zeros(n), profile.forward_pump[:, 0]])
        c_f = -m[:, : n + self.forward.n] @ p_fwd
        c_b = -m[:, n + self.forward.n :] @ profile.backward_pump[:, -1]
        alpha = self.fibre.alpha(f)
        a_b = jnp.mean(self.backward.attenuation) if self.backward.n else jnp.mean(alpha)
        return jnp.stack([c_f, alpha, c_b, jnp.broadcast_to(a_b, (n,)), alpha], axis=-1)

    def spontaneous_factor(self, signal_frequency) -> Float[Array, " channels"]:
        """n_sp = 1/(1 - exp(-h df/(k T))) with df from the power-weighted mean pump frequency."""
        pf = jnp.concatenate([self.forward.frequency, self.backward.frequency])
        pp = jnp.concatenate([self.forward.power, self.backward.power])
        if pf.shape[0]:
            f_pump = jnp.sum(pf * pp) / jnp.maximum(jnp.sum(pp), 1e-30)
        else:
            f_pump = jnp.max(signal_frequency) + 13e12
        shift = jnp.maximum(f_pump - signal_frequency, 1e9)
        return 1 / (-jnp.expm1(-PLANCK * shift / (BOLTZMANN * self.temperature)))

    def propagate(self, spectrum, power):
        """The ODE profile, and the hybrid DRA (+ EDFA) noise: with `spontaneous`, the ODE's
        spontaneous Raman ASE amplified by the EDFA plus the EDFA's own; otherwise the Friis cascade
        of the lumped-equivalent DRA and the EDFA (`hybrid_noise_figure`) behind the passive loss,
        P_ASE = (NF G_span/e^{-alpha L} - 1) h f B with G_span = rho(L) G_EDFA."""
        f, b = spectrum.frequency, spectrum.symbol_rate
        prof = self.solve(f, power, noise_bandwidth=b if self.spontaneous else None)
        rho = prof.rho
        t = rho[:, -1]
        amp = self.amplifier
        gain = jnp.ones_like(t) if amp is None else amp.gain(f, b, power * t, t)
        nf_edfa = jnp.ones_like(t) if amp is None else amp.nf_at(f)
        if self.spontaneous:
            ase = prof.ase[:, -1] * gain + ase_power(nf_edfa, gain, f, b)
        else:
            passive = jnp.exp(-self.fibre.alpha(f) * self.fibre.length)
            nf = hybrid_noise_figure(t / passive, self.spontaneous_factor(f), nf_edfa)
            ase = ase_power(nf / passive, t * gain, f, b)
        profile = SampledProfile(self.fibre, power, prof.z, rho, self.fit_init(f, power, prof))
        return SpanOutput(profile, t, gain, ase)


def hybrid_noise_figure(on_off_gain, n_sp, edfa_nf):
    """NF of a distributed Raman amplifier (on-off gain G) followed by an EDFA, referred to the DRA input.

    NF_DRA = 1/G + 2 n_sp (1 - 1/G); NF = NF_DRA + (NF_EDFA - 1)/G (Friis). G < 1 (no pumping,
    ISRS depletion) is treated as G = 1 in NF_DRA.

    ??? cite "References"
        H. T. Friis, Proc. IRE 32(7), 1944; J. Bromage, JLT 22(1), 2004, Sec. IV (lumped-equivalent
        NF of a distributed amplifier).
    """
    g = jnp.maximum(on_off_gain, 1.0)
    nf_dra = 1 / g + 2 * n_sp * (1 - 1 / g)
    return nf_dra + (edfa_nf - 1) / on_off_gain
