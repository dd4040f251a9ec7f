"""Distributed Raman amplification: the pump/signal Raman ODE and the backward-pump boundary-value problem."""

import dataclasses
from collections.abc import Sequence

import diffrax
import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

from ._amplifier import Edfa, ase_power
from ._results import RESULTS
from ._checks import AbstractValidated, Rule, Rules, as_float_array, enforce, value_rules
from ._fibre import Fibre
from ._profile import SampledProfile
from ._raman_bvp import AbstractBVPSolver, NewtonBVP, relaxation_guess
from ._raman_gain import raman_coupling
from ._span import AbstractSpan, SpanOutput
from ._units import BOLTZMANN, PLANCK, db_per_km_to_per_m


class Pumps(AbstractValidated):
    """A set of Raman pumps travelling in one direction.

    **Fields:**

    - `frequency`: Hz.
    - `power`: W, at the fibre end where the pumps are injected (z = 0 forward, z = L backward).
    - `attenuation`: power attenuation at the pump frequencies, 1/m, or None (default): then the
      span takes the fibre's loss at the pump frequencies when the fibre has a loss table
      (`Fibre.attenuation_frequency`; the table's edge value beyond it), else 0.25 dB/km (SSMF
      near 1450 nm).
    - `unchecked`: skip the plausible-range checks (static): frequency 1-1,000 THz, power
      1 uW-10 W, attenuation 1e-6-1e-2 1/m.
    """

    frequency: Float[Array, " pumps"]
    power: Float[Array, " pumps"]
    attenuation: Float[Array, " pumps"] | None
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
        self.attenuation = None if attenuation is None else per_pump(attenuation, "attenuation")
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
            *([] if self.attenuation is None else value_rules(
                self.attenuation, "Pumps.attenuation", positive=True, unit="1/m",
                plausible=(1e-6, 1e-2) if plausible else None, hint="attenuation is in 1/m (0.25 dB/km is 5.8e-5)")),
            Rule(same, "Two pumps of one `Pumps` share a frequency: merge them into one pump."),
        ]

    @property
    def n(self) -> int:
        return self.frequency.shape[0]


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
    - `bvp_solver`: `NewtonBVP()` (default) or `TNCBVP()`. Its residual integrates with
      `bvp_adjoint` (default `ForwardMode`: Newton's Jacobian is forward mode), as does the
      implicit gradient's sensitivity of the profile to the z = 0 pump powers; its one reverse
      pass uses `adjoint`.
    - `n_z`: samples of the returned profile.
    - `spontaneous`: also integrate the forward spontaneous Raman ASE of each channel,
      dN_i/dz = (-alpha_i + sum_k M_ik P_k) N_i + 2 h f_i B_i [sum_{f_k > f_i} g_ik P_k (1 + eta_ik)
      + sum_{f_k < f_i} g_ik P_k eta_ik], eta_ik = 1/(exp(h |f_k - f_i|/(k T)) - 1) the phonon
      occupancy at `temperature` (K): Stokes scattering from every wave above the channel and
      anti-Stokes scattering (thermal phonons only) from every wave below it, so the two agree as
      the shift goes to 0 (Bromage 2004, Eq. (3); detailed balance (1 + eta)/eta = e^{h df/kT}).
      Needs `noise_bandwidth` in `solve`.
    - `spontaneous_sources`: "all" (default: pumps and the other channels scatter into a channel) or
      "pumps" (pumps only, as most DRA models do; static).

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
    bvp_adjoint: diffrax.AbstractAdjoint = eqx.field(static=True, default=diffrax.ForwardMode())
    max_steps: int = eqx.field(static=True, default=4096)
    n_z: int = eqx.field(static=True, default=101)
    spontaneous: bool = eqx.field(static=True, default=False)
    spontaneous_sources: str = eqx.field(static=True, default="all")
    temperature: float | Float[Array, ""] = 300.0

    def __check_init__(self):
        if self.spontaneous_sources not in ("all", "pumps"):
            raise ValueError(f"`RamanSpan.spontaneous_sources` must be 'all' or 'pumps'; got {self.spontaneous_sources!r}.")
        if self.n_z < 2:
            raise ValueError(f"`RamanSpan.n_z` must be >= 2 (samples of the profile); got {self.n_z}.")
        if self.max_steps < 1:
            raise ValueError(f"`RamanSpan.max_steps` must be >= 1; got {self.max_steps}.")

    def rules(self) -> Rules:
        return [
            *super().rules(),
            *self.forward.rules(),
            *self.backward.rules(),
            *value_rules(self.temperature, "RamanSpan.temperature", positive=True, unit="K",
                         plausible=(1.0, 1e4), hint="the temperature is in kelvin (300 K is room temperature)"),
        ]

    def spectrum_rules(self, spectrum) -> Rules:
        return [self._pumps_above(jnp.max(spectrum.frequency + 0.5 * spectrum.symbol_rate))]

    def _pumps_above(self, edge) -> Rule:
        """The rule that every pump lies above `edge` (Hz, the top of the signal band)."""
        pumps = jnp.concatenate([self.forward.frequency, self.backward.frequency], axis=-1)
        return Rule(pumps <= edge, "A Raman pump lies inside or below the signal band: pumps must be above "
                    "the highest channel (Raman gain flows to lower frequencies; frequencies are in Hz).")

    def pump_attenuation(self, pumps: Pumps) -> Float[Array, " pumps"]:
        """Attenuation (1/m) of `pumps` in this span: their own, else the fibre's loss table at their
        frequencies, else 0.25 dB/km."""
        if pumps.attenuation is not None:
            return pumps.attenuation
        if self.fibre.attenuation_frequency is not None:
            return self.fibre.alpha(pumps.frequency)
        return jnp.full(pumps.frequency.shape, db_per_km_to_per_m(0.25), pumps.frequency.dtype)

    def _system(self, signal_frequency):
        f = jnp.concatenate([signal_frequency, self.forward.frequency, self.backward.frequency])
        alpha = jnp.concatenate(
            [self.fibre.alpha(signal_frequency), self.pump_attenuation(self.forward), self.pump_attenuation(self.backward)]
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
            [*self.rules(), Rule(signal_power <= 0, "A Raman span's signal powers must be > 0 W (log-power form)."),
             self._pumps_above(jnp.max(signal_frequency))],
        )
        fibre, fwd_p, bwd_p = span.fibre, span.forward.power, span.backward.power
        system = span._system(signal_frequency)
        n, mf = signal_frequency.shape[0], self.forward.n
        head = jnp.log(jnp.concatenate([signal_power, fwd_p]))
        z = jnp.linspace(0.0, 1.0, self.n_z) * fibre.length
        source = self._spontaneous_source(signal_frequency, system[2][:n]) if self.spontaneous else None
        dynamic, static = eqx.partition(span, eqx.is_array)

        def profile_with(adjoint):
            def profile(x, args):  # closes over static data only: every array travels in `args`
                head_, system_, dynamic_, source_ = args
                s = eqx.combine(dynamic_, static)
                y0 = jnp.concatenate([head_, x] + ([jnp.zeros(n, x.dtype)] if source_ is not None else []))
                z_ = jnp.linspace(0.0, 1.0, s.n_z) * s.fibre.length
                sol = s._integrate(y0, system_, diffrax.SaveAt(ts=z_), adjoint, source=source_)
                return sol.ys, sol.result == diffrax.RESULTS.successful

            return jax.jit(profile)  # traced once, however often the solver differentiates it

        args = (head, system, dynamic, source)
        if self.backward.n > 0:
            target = jnp.log(bwd_p)

            def residual(x, at):  # the boundary condition alone (Newton's forward-mode residual)
                (head_, system_, dynamic_, _), target_ = at
                s = eqx.combine(dynamic_, static)
                sol = s._integrate(jnp.concatenate([head_, x]), system_, diffrax.SaveAt(t1=True), self.bvp_adjoint)
                return sol.ys[-1, n + mf :] - target_

            # first guess: damped forward/backward relaxation sweeps on a coarse grid (each group of
            # waves integrated in its stable direction); the passive-loss guess if they blow up
            sign, alpha, m = system
            y_start, _ = relaxation_guess(sign, alpha, m, jnp.concatenate([head, target]), fibre.length, n + mf)
            passive = target - alpha[n + mf :] * fibre.length
            x0 = jnp.where(jnp.isfinite(y_start[n + mf :]), y_start[n + mf :], passive)
            ys, ode_ok, result = self.bvp_solver.solve(jax.jit(residual), profile_with(self.adjoint), profile_with(self.bvp_adjoint),
                                                       x0, args, target, slice(n + mf, n + mf + self.backward.n))
        else:
            ys, ode_ok = profile_with(self.adjoint)(jnp.zeros(0, head.dtype), args)
            result = RESULTS.successful
        result = RESULTS.where(ode_ok, result, RESULTS.ode_failed)
        if self.spontaneous:
            ase_unit = 2 * PLANCK * signal_frequency * noise_bandwidth
        k = n + mf + self.backward.n
        ase = ys[:, k:].T * ase_unit[:, None] if self.spontaneous else jnp.zeros((n, self.n_z), ys.dtype)
        p = jnp.exp(ys[:, :k].T)
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
        a_b = jnp.mean(self.pump_attenuation(self.backward)) if self.backward.n else jnp.mean(alpha)
        return jnp.stack([c_f, alpha, c_b, jnp.broadcast_to(a_b, (n,)), alpha], axis=-1)

    def _spontaneous_source(self, signal_frequency, coupling):
        """S_ik (1/(W m)) with dN_i/dz = ... + sum_k S_ik P_k, N_i the ASE in units of 2 h f_i B_i:
        g_ik (1 + eta) from waves above channel i (Stokes), g_ik eta from waves below (anti-Stokes)."""
        n = signal_frequency.shape[0]
        freqs = jnp.concatenate([signal_frequency, self.forward.frequency, self.backward.frequency])
        shift = freqs[None, :] - signal_frequency[:, None]
        occupancy = 1 / jnp.expm1(PLANCK * jnp.maximum(jnp.abs(shift), 1.0) / (BOLTZMANN * self.temperature))
        # |M_ik| is g(f_k - f_i) above, (f_i/f_k) g(f_i - f_k) below with the photon ratio: the
        # photon-number gain is g for both, hence the f_k/f_i back out below
        back = freqs[None, :] / signal_frequency[:, None] if self.photon_ratio else 1.0
        g = jnp.where(shift > 0, coupling, -coupling * back)
        source = jnp.where(shift > 0, g * (1 + occupancy), jnp.where(shift < 0, g * occupancy, 0.0))
        if self.spontaneous_sources == "pumps":
            source = source.at[:, :n].set(0.0)
        return source

    def on_off_gain(self, signal_frequency: Float[Array, " channels"], signal_power: Float[Array, " channels"]) -> Float[Array, " channels"]:
        """On-off Raman gain (linear): each channel's output with the pumps on over its output with
        the pumps off, signal-signal Raman scattering (ISRS) included in both, as the literature and
        GNPy define it (Bromage 2004, Sec. II). Frequencies in Hz, launch powers in W."""
        span = self._signals_only()
        on = span.solve(signal_frequency, signal_power).signal[:, -1]
        off = eqx.tree_at(lambda s: (s.forward, s.backward), span, (Pumps(), Pumps()))
        return on / off.solve(signal_frequency, signal_power).signal[:, -1]

    def gain_over_passive_loss(self, signal_frequency: Float[Array, " channels"], signal_power: Float[Array, " channels"]) -> Float[Array, " channels"]:
        """Each channel's output with the pumps on over its launch power times the passive loss
        e^{-alpha L} (linear): the on-off gain times the ISRS gain or loss of the pumps-off fibre
        (equal to the on-off gain without signal-signal scattering). Hz, W."""
        net = self._signals_only().solve(signal_frequency, signal_power).net_gain
        return net * jnp.exp(self.fibre.alpha(signal_frequency) * self.fibre.length)

    def _signals_only(self) -> "RamanSpan":
        """This span without the spontaneous-noise integration (the gains do not need it)."""
        return dataclasses.replace(self, spontaneous=False) if self.spontaneous else self

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


def hybrid_noise_figure(gain, n_sp, edfa_nf):
    """NF of a distributed Raman amplifier followed by an EDFA, referred to the DRA input; `gain` is
    the DRA's gain over the passive span loss (`RamanSpan.gain_over_passive_loss`), linear.

    NF_DRA = 1/G + 2 n_sp (1 - 1/G); NF = NF_DRA + (NF_EDFA - 1)/G (Friis). G < 1 (no pumping,
    ISRS depletion) is treated as G = 1 in NF_DRA.

    ??? cite "References"
        H. T. Friis, Proc. IRE 32(7), 1944; J. Bromage, JLT 22(1), 2004, Sec. IV (lumped-equivalent
        NF of a distributed amplifier).
    """
    g = jnp.maximum(gain, 1.0)
    nf_dra = 1 / g + 2 * n_sp * (1 - 1 / g)
    return nf_dra + (edfa_nf - 1) / gain
