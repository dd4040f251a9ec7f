"""Gradient-based optimisation of Raman pump powers with optax."""

from collections.abc import Callable

import equinox as eqx
import jax
import jax.numpy as jnp
import optax
from jaxtyping import Array, Float

from ._link import GNLink
from ._optimise import maximise
from ._raman import RamanSpan
from ._spectrum import Spectrum


class PumpOptimisation(eqx.Module):
    """Result of `optimise_pumps`.

    **Fields:**

    - `forward_power`, `backward_power`: optimised pump powers, W.
    - `history`: objective after each step (first entry: the start), in the objective's unit.
    - `link`: the link with the optimised pumps (powers and, if optimised, frequencies).
    - `spectrum`: the spectrum with the optimised launch powers (unchanged unless optimised).
    """

    forward_power: Float[Array, " fpumps"]
    backward_power: Float[Array, " bpumps"]
    history: Float[Array, " steps"]
    link: GNLink
    spectrum: Spectrum


def total_throughput_tbps(link: GNLink, spectrum: Spectrum) -> Float[Array, ""]:
    """Total Shannon throughput of the link, Tb/s (the default objective)."""
    return jnp.sum(link(spectrum).throughput()) / 1e12


def _powers(x, n_fwd, lo, hi, budget):
    """Pump powers (W) from the unconstrained parameters.

    Without a budget x = log-powers, clipped to [lo, hi]. With a budget B, x = (theta, s) and
    P = B sigmoid(s) softmax(theta): the sum never exceeds B, power moves between pumps through theta
    and the total through s (Adam on log-powers followed by a projection cannot redistribute: its
    normalised steps are all alike when every pump helps).
    """
    if budget is None:
        p = jnp.exp(jnp.clip(x, lo, hi))
    else:
        theta, s = x
        p = budget * jax.nn.sigmoid(s) * jax.nn.softmax(theta)
        p = jnp.clip(p, jnp.exp(lo), jnp.exp(hi))
    return p[:n_fwd], p[n_fwd:]


def optimise_pumps(
    link: GNLink,
    spectrum: Spectrum,
    *,
    steps: int = 30,
    optimiser: optax.GradientTransformation | None = None,
    min_power: float = 1e-3,
    max_power: float = 1.0,
    total_power: float | None = None,
    frequencies: bool = False,
    max_frequency_shift: float = 2e12,
    launch_powers: bool = False,
    max_launch_change_db: float = 3.0,
    objective: Callable[[GNLink, Spectrum], Array] = total_throughput_tbps,
    callback: Callable[[int, float], None] | None = None,
) -> PumpOptimisation:
    """Maximise `objective(link, spectrum)` over the pump powers of `link.span` (and optionally the
    pump frequencies and the per-channel launch powers).

    Adam (default, learning rate 0.05) on log-powers keeps powers positive and makes steps relative;
    powers are clipped to [`min_power`, `max_power`] W. With `total_power` (W) the parameters are
    P = B sigmoid(s) softmax(theta), so the budget holds by construction. With `frequencies`, each
    pump may move by up to `max_frequency_shift` (Hz) from its start (parameter in THz); with
    `launch_powers`, each channel's launch power by up to `max_launch_change_db` (parameter in dB).
    The gradient is whatever the link's NLI model gives: the surrogate route for `ModeSumGN`, the
    exact one for `NumericalGN`.

    ??? cite "References"
        D. P. Kingma, J. Ba, "Adam: a method for stochastic optimization", ICLR 2015.
    """
    if min_power <= 0 or max_power <= min_power:
        raise ValueError(f"Need 0 < min_power < max_power; got {min_power}, {max_power}.")
    if not isinstance(link.spans, RamanSpan) or link.stacked != (False,):
        raise TypeError("`optimise_pumps` takes a GNLink of identical Raman spans (`GNLink.uniform(RamanSpan(...), n)`).")
    n_pumps = link.spans.forward.n + link.spans.backward.n
    if n_pumps == 0:
        raise ValueError("The link's span has no pumps to optimise.")
    if total_power is not None and total_power < n_pumps * min_power:
        raise ValueError(f"`total_power`={total_power} W cannot hold {n_pumps} pumps at `min_power`={min_power} W.")
    if spectrum.power.ndim != 1:
        raise ValueError("`optimise_pumps` takes a spectrum with one launch power per channel.")
    opt = optax.adam(0.05) if optimiser is None else optimiser
    lo, hi = jnp.log(min_power), jnp.log(max_power)
    n_fwd = link.spans.forward.n
    f0 = (link.spans.forward.frequency, link.spans.backward.frequency)
    shift_thz = max_frequency_shift / 1e12

    def apply(x):
        powers = _powers(x["pump"], n_fwd, lo, hi, total_power)
        new_link = eqx.tree_at(lambda l: (l.spans.forward.power, l.spans.backward.power), link, powers)
        if frequencies:
            df = jnp.clip(x["frequency"], -shift_thz, shift_thz) * 1e12
            new_link = eqx.tree_at(lambda l: (l.spans.forward.frequency, l.spans.backward.frequency),
                                   new_link, (f0[0] + df[:n_fwd], f0[1] + df[n_fwd:]))
        new_spectrum = spectrum
        if launch_powers:
            gain_db = jnp.clip(x["launch"], -max_launch_change_db, max_launch_change_db)
            new_spectrum = eqx.tree_at(lambda s: s.power, spectrum, spectrum.power * 10 ** (gain_db / 10))
        return new_link, new_spectrum

    p0 = jnp.clip(jnp.concatenate([link.spans.forward.power, link.spans.backward.power]), min_power, max_power)
    if total_power is None:
        x = {"pump": jnp.log(p0)}
    else:
        frac = jnp.clip(jnp.sum(p0) / total_power, 1e-3, 0.999)
        x = {"pump": (jnp.log(p0), jnp.log(frac / (1 - frac)))}
    if frequencies:
        x["frequency"] = jnp.zeros(n_pumps, p0.dtype)
    if launch_powers:
        x["launch"] = jnp.zeros_like(spectrum.power)
    res = maximise(lambda y: objective(*apply(y)), x, opt, steps=steps, callback=callback)
    history = res.history
    x = res.value
    best_link, best_spectrum = apply(x)
    return PumpOptimisation(
        best_link.spans.forward.power, best_link.spans.backward.power, history, best_link, best_spectrum
    )


def random_pump_search(
    link: GNLink,
    spectrum: Spectrum,
    evaluations: int,
    *,
    key: Array | None = None,
    total_power: float | None = None,
    min_power: float = 1e-3,
    max_power: float = 1.0,
    frequencies: bool = False,
    max_frequency_shift: float = 2e12,
    launch_powers: bool = False,
    max_launch_change_db: float = 3.0,
    objective: Callable[[GNLink, Spectrum], Array] = total_throughput_tbps,
) -> PumpOptimisation:
    """The random-search baseline for `optimise_pumps`: `evaluations` designs drawn uniformly from the
    same search space, the best kept. Pump powers are uniform on the budget simplex (Dirichlet(1)
    times `total_power`, W) or, without a budget, log-uniform in [`min_power`, `max_power`] W; pump
    frequency shifts uniform within `max_frequency_shift` (Hz); launch-power changes uniform within
    `max_launch_change_db`. `history` holds the best objective after each evaluation (the start
    first).

    ??? cite "References"
        J. Bergstra, Y. Bengio, "Random search for hyper-parameter optimization", JMLR 13, 2012.
    """
    if evaluations < 1:
        raise ValueError(f"`evaluations` must be >= 1; got {evaluations}.")
    if not isinstance(link.spans, RamanSpan) or link.stacked != (False,):
        raise TypeError("`random_pump_search` takes a GNLink of identical Raman spans (`GNLink.uniform(RamanSpan(...), n)`).")
    key = jax.random.key(0) if key is None else key
    n_fwd = link.spans.forward.n
    n_pumps = n_fwd + link.spans.backward.n
    f0 = (link.spans.forward.frequency, link.spans.backward.frequency)

    def design(k):
        kp, kf, kl = jax.random.split(k, 3)
        if total_power is None:
            p = jnp.exp(jax.random.uniform(kp, (n_pumps,), minval=jnp.log(min_power), maxval=jnp.log(max_power)))
        else:
            p = jnp.clip(total_power * jax.random.dirichlet(kp, jnp.ones(n_pumps)), min_power, max_power)
        new_link = eqx.tree_at(lambda l: (l.spans.forward.power, l.spans.backward.power), link, (p[:n_fwd], p[n_fwd:]))
        if frequencies:
            df = jax.random.uniform(kf, (n_pumps,), minval=-max_frequency_shift, maxval=max_frequency_shift)
            new_link = eqx.tree_at(lambda l: (l.spans.forward.frequency, l.spans.backward.frequency),
                                   new_link, (f0[0] + df[:n_fwd], f0[1] + df[n_fwd:]))
        new_spectrum = spectrum
        if launch_powers:
            db = jax.random.uniform(kl, spectrum.power.shape, minval=-max_launch_change_db, maxval=max_launch_change_db)
            new_spectrum = eqx.tree_at(lambda s: s.power, spectrum, spectrum.power * 10 ** (db / 10))
        return new_link, new_spectrum

    value = eqx.filter_jit(lambda l, s: objective(l, s))
    best = (float(value(link, spectrum)), link, spectrum)
    history = [best[0]]
    for k in jax.random.split(key, evaluations):  # one compiled evaluation per design (the objective's cost)
        new_link, new_spectrum = design(k)
        v = float(value(new_link, new_spectrum))
        if v > best[0]:
            best = (v, new_link, new_spectrum)
        history.append(best[0])
    _, best_link, best_spectrum = best
    return PumpOptimisation(best_link.spans.forward.power, best_link.spans.backward.power,
                            jnp.asarray(history), best_link, best_spectrum)
