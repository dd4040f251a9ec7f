"""A multi-span link of Raman-pumped spans with EDFAs: the hybrid DRA + EDFA noise budget."""

import equinox as eqx
import jax
import jax.numpy as jnp

from ._amplifier import Edfa, Transceiver, ase_power
from ._link import LinkResult, _safe_ratio
from ._nli import AbstractNLIModel, NumericalGN, accumulate, coherence_factor
from ._raman import RamanProfile, RamanSpan
from ._raman_gain import raman_coupling
from ._raman_nli import ModeSumGN, fit_ansatz
from ._spectrum import Spectrum
from ._units import BOLTZMANN, PLANCK


def hybrid_noise_figure(on_off_gain, n_sp, edfa_nf):
    """NF of a distributed Raman amplifier (on-off gain G) followed by an EDFA, referred to the DRA input.

    NF_DRA = 1/G + 2 n_sp (1 - 1/G); NF = NF_DRA + (NF_EDFA - 1)/G (Friis). G < 1 (no pumping,
    ISRS depletion) is treated as G = 1 in NF_DRA.

    ??? cite "References"
        H. T. Friis, Proc. IRE 32(7), 1944; J. Bromage, JLT 22(1), 2004, Sec. IV (lumped-equivalent
        NF of a distributed amplifier); XLRON documentation (the same hybrid cascade).
    """
    g = jnp.maximum(on_off_gain, 1.0)
    nf_dra = 1 / g + 2 * n_sp * (1 - 1 / g)
    return nf_dra + (edfa_nf - 1) / on_off_gain


class RamanLink(eqx.Module):
    """`n_spans` identical Raman-pumped spans, each followed by an EDFA restoring the launch power.

    **Fields:**

    - `span`: the `RamanSpan` (fibre + pumps + solvers).
    - `amplifier`: the `Edfa` after each span (its gain completes the span loss).
    - `nli`: `ModeSumGN()` (default: closed form on the fitted ansatz; its fit is stop-gradiented, so
      pump gradients reach the SNR only through the ODE gain G_i in ASE) or `NumericalGN()` (the GN
      integrals over the ODE profile: exact and differentiable end to end, slower).
    - `transceiver`: optional back-to-back SNR.
    - `temperature`: K, for the spontaneous-emission factor n_sp = 1/(1 - exp(-h df/(k T))).
    - `n_spans`: static.

    The ASE of span + DRA + EDFA is (NF G_block' - 1) h f B with NF from `hybrid_noise_figure` and the
    passive span loss e^{-alpha L}: P_ASE = (NF e^{alpha L} - 1) h f B. With
    `RamanSpan(spontaneous=True)` the DRA part is instead the spontaneous Raman ASE integrated in the
    ODE (physical, temperature dependent), amplified by the EDFA together with the signal.
    """

    span: RamanSpan
    amplifier: Edfa
    nli: AbstractNLIModel
    transceiver: Transceiver | None
    temperature: float
    n_spans: int = eqx.field(static=True)

    def __init__(self, span: RamanSpan, n_spans: int = 1, amplifier: Edfa | None = None,
                 nli: AbstractNLIModel | None = None, transceiver: Transceiver | None = None,
                 temperature: float = 300.0):
        if not isinstance(n_spans, int) or n_spans < 1:
            raise ValueError(f"`n_spans` must be a positive int; got {n_spans!r}.")
        nli = ModeSumGN() if nli is None else nli
        if not isinstance(nli, (ModeSumGN, NumericalGN)):
            raise TypeError("`RamanLink.nli` must be ModeSumGN() or NumericalGN().")
        self.span = span
        self.n_spans = n_spans
        self.amplifier = Edfa.from_db(5.0) if amplifier is None else amplifier
        self.nli = nli
        self.transceiver = transceiver
        self.temperature = temperature

    def profile(self, spectrum: Spectrum) -> RamanProfile:
        """The ODE power profile of one span."""
        bw = spectrum.symbol_rate if self.span.spontaneous else None
        return self.span.solve(spectrum.frequency, spectrum.power, noise_bandwidth=bw)

    def fit_init(self, spectrum: Spectrum, profile: RamanProfile):
        """First guess (1/m) for the ansatz fit from the linearised Raman ODE (closed_form.md Sec. 5.2)."""
        sp = self.span
        f = spectrum.frequency
        n = f.shape[0]
        freqs = jnp.concatenate([f, sp.forward.frequency, sp.backward.frequency])
        m = raman_coupling(sp.fibre.raman, freqs, sp.photon_ratio)[:n]
        p_fwd = jnp.concatenate([spectrum.power if sp.signal_signal else jnp.zeros(n), profile.forward_pump[:, 0]])
        c_f = -m[:, : n + sp.forward.n] @ p_fwd
        c_b = -m[:, n + sp.forward.n :] @ profile.backward_pump[:, -1]
        alpha = sp.fibre.alpha(f)
        a_b = jnp.mean(sp.backward.attenuation) if sp.backward.n else jnp.mean(alpha)
        return jnp.stack([c_f, alpha, c_b, jnp.broadcast_to(a_b, (n,)), alpha], axis=-1)

    @eqx.filter_jit
    def __call__(self, spectrum: Spectrum) -> LinkResult:
        if spectrum.power.ndim != 1:
            raise ValueError("RamanLink takes the same launch power into every span: `power` of shape (channels,).")
        spectrum = spectrum.checked()
        sp = self.span
        fibre = sp.fibre
        f, b, p = spectrum.frequency, spectrum.symbol_rate, spectrum.power
        prof = self.profile(spectrum)
        rho = prof.rho
        alpha = fibre.alpha(f)
        passive = jnp.exp(-alpha * fibre.length)
        on_off = rho[:, -1] / passive  # G_i: differentiable, carries pump gradients into ASE
        # spontaneous-emission factor from the power-weighted mean pump frequency
        pf = jnp.concatenate([sp.forward.frequency, sp.backward.frequency])
        pp = jnp.concatenate([sp.forward.power, sp.backward.power])
        f_pump = jnp.sum(pf * pp) / jnp.maximum(jnp.sum(pp), 1e-30) if pf.shape[0] else jnp.max(f) + 13e12
        shift = jnp.maximum(f_pump - f, 1e9)
        n_sp = 1 / (-jnp.expm1(-PLANCK * shift / (BOLTZMANN * self.temperature)))
        if sp.spontaneous:
            # ODE spontaneous emission at z = L, amplified with the signal by the EDFA (gain 1/rho(L)),
            # plus the EDFA's own ASE
            g_edfa = 1 / rho[:, -1]
            pase = prof.ase[:, -1] * g_edfa + ase_power(self.amplifier.nf_at(f), g_edfa, f, b)
        else:
            nf = hybrid_noise_figure(on_off, n_sp, self.amplifier.nf_at(f))
            pase = ase_power(nf, 1 / passive, f, b)
        nsr_ase = _safe_ratio(pase, p)
        if isinstance(self.nli, ModeSumGN):
            params, _, _ = fit_ansatz(prof.z, rho, fibre.length, self.fit_init(spectrum, prof))
            nli = self.nli.from_params(fibre, spectrum, p, params)
        else:
            nli = self.nli.from_profile(fibre, spectrum, p, prof.z, rho)
        n = self.n_spans
        nsr_ase, nli, gain = jax.tree.map(lambda x: jnp.broadcast_to(x, (n,) + x.shape), (nsr_ase, nli, 1 / rho[:, -1]))
        power = jnp.broadcast_to(p, (n,) + p.shape)
        eps = coherence_factor(fibre.stack(n), f, b) if self.nli.coherent else jnp.zeros_like(f)
        nsr_nli = accumulate(self.nli, nli, power, eps)
        zeros = jnp.zeros_like(f)
        nsr_trx = zeros if self.transceiver is None else jnp.broadcast_to(1.0 / self.transceiver.snr, f.shape)
        return LinkResult(
            frequency=f, symbol_rate=b, power=p, nsr_ase=jnp.cumsum(nsr_ase, axis=0), nsr_nli=nsr_nli,
            nsr_roadm=zeros, nsr_transceiver=nsr_trx, eta=_safe_ratio(nsr_nli[-1], p**2),
            eta_spm_span=nli.spm, nsr_xpm_span=nli.xpm, eps=eps, gain=gain,
        )
