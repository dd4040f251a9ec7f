"""Figures of the command line: titled with the scenario, units on every axis, every noise term,
before and after on one axis."""

import pathlib


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _snr_db(nsr):
    import numpy as np

    return -10 * np.log10(np.asarray(nsr))


def _budget_curves(ax, r, label_suffix="", style="-"):
    """GSNR and each noise term of a `LinkResult` as SNRs (dB) against frequency (THz)."""
    import numpy as np

    f = np.asarray(r.frequency) / 1e12
    ax.plot(f, np.asarray(r.gsnr_db), "k" + style, lw=2, label="GSNR" + label_suffix)
    terms = [("SNR$_{ASE}$", r.nsr_ase[-1], "C0"), ("SNR$_{NLI}$", r.nsr_nli[-1], "C3"),
             ("SNR$_{ROADM}$", r.nsr_roadm, "C2"), ("SNR$_{TRX}$", r.nsr_transceiver, "C4")]
    for name, nsr, colour in terms:
        if np.any(np.asarray(nsr) > 0):
            ax.plot(f, _snr_db(nsr), style, color=colour, lw=1.2, label=name + label_suffix)


def _finish(fig, ax, path, title, ncol=3):
    ax.grid(alpha=0.3)
    ax.set_title(title, fontsize=10)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=ncol, fontsize=8, frameon=False)
    fig.tight_layout()
    fig.savefig(pathlib.Path(path), dpi=150, bbox_inches="tight")


def plot_budget(r, path, title: str) -> None:
    """GSNR with ASE, NLI, ROADM and transceiver SNRs of a `LinkResult`."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.2))
    _budget_curves(ax, r)
    ax.set_xlabel("frequency (THz)")
    ax.set_ylabel("SNR (dB)")
    _finish(fig, ax, path, title)
    plt.close(fig)


def plot_launch_powers(before, after, path, title: str) -> None:
    """Launch powers and GSNR before and after an optimisation, each on one axis."""
    import numpy as np

    plt = _pyplot()
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.2))
    f = np.asarray(before.frequency) / 1e12
    for r, style, name in ((before, "--", "before"), (after, "-", "after")):
        a1.plot(f, 10 * np.log10(np.asarray(r.power) / 1e-3), "k" + style, label=name)
        a2.plot(f, np.asarray(r.gsnr_db), "k" + style, label=f"GSNR {name}")
    a1.set_xlabel("frequency (THz)")
    a1.set_ylabel("launch power (dBm)")
    a2.set_xlabel("frequency (THz)")
    a2.set_ylabel("GSNR (dB)")
    a1.grid(alpha=0.3)
    a1.legend(fontsize=8)
    fig.suptitle(title, fontsize=10)
    _finish(fig, a2, path, "")
    plt.close(fig)


def plot_pump_optimisation(path, title, history, frequency, before, after, on_off, pump_f, pump_before, pump_after) -> None:
    """Throughput per step against the unoptimised baseline; GSNR, launch powers and on-off gain
    before/after; the pump powers before/after at their frequencies."""
    import numpy as np

    plt = _pyplot()
    fig, axes = plt.subplots(2, 3, figsize=(15, 8))
    (a1, a2, a3), (a4, a5, a6) = axes
    a1.plot(np.arange(len(history)), history, "k.-", label="optimised")
    a1.axhline(history[0], color="grey", ls="--", label=f"unoptimised design ({history[0]:.2f} Tb/s)")
    a1.set_xlabel("Adam step")
    a1.set_ylabel("Shannon throughput (Tb/s)")
    a1.set_title("throughput", fontsize=10)
    f = np.asarray(frequency) / 1e12
    a2.plot(f, np.asarray(before.gsnr_db), "k--", label="GSNR before")
    a2.plot(f, np.asarray(after.gsnr_db), "k-", label="GSNR after")
    a2.plot(f, _snr_db(after.nsr_ase[-1]), "C0-", lw=1, label="SNR$_{ASE}$ after")
    a2.plot(f, _snr_db(after.nsr_nli[-1]), "C3-", lw=1, label="SNR$_{NLI}$ after")
    a2.set_xlabel("frequency (THz)")
    a2.set_ylabel("SNR (dB)")
    a2.set_title("per-channel GSNR and noise terms", fontsize=10)
    for r, style, name in ((before, "--", "before"), (after, "-", "after")):
        a3.plot(f, 10 * np.log10(np.asarray(r.power) / 1e-3), "k" + style, label=name)
    a3.set_xlabel("frequency (THz)")
    a3.set_ylabel("launch power (dBm)")
    a3.set_title("launch power per channel", fontsize=10)
    a4.plot(f, on_off[0], "b--", label="before")
    a4.plot(f, on_off[1], "r-", label="after")
    a4.set_xlabel("frequency (THz)")
    a4.set_ylabel("on-off Raman gain (dB)")
    a4.set_title("on-off gain of one span", fontsize=10)
    pf = np.asarray(pump_f) / 1e12
    width = 0.35 * np.min(np.diff(np.sort(pf))) if pf.size > 1 else 0.5
    a5.bar(pf - width / 2, np.asarray(pump_before) * 1e3, width, color="b", alpha=0.6, label="before")
    a5.bar(pf + width / 2, np.asarray(pump_after) * 1e3, width, color="r", alpha=0.8, label="after")
    a5.set_xlabel("pump frequency (THz)")
    a5.set_ylabel("pump power (mW)")
    a5.set_title("backward pumps (total budget held)", fontsize=10)
    for ax in (a1, a2, a3, a4, a5):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    a6.axis("off")
    a6.text(0.0, 0.9, f"throughput {history[0]:.2f} -> {history[-1]:.2f} Tb/s ({100 * (history[-1] / history[0] - 1):+.1f} %)\n"
            f"min GSNR {float(np.min(before.gsnr_db)):.2f} -> {float(np.min(after.gsnr_db)):.2f} dB\n"
            "exact gradients through the Raman BVP and the numerical GN integral", fontsize=10, va="top")
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    fig.savefig(pathlib.Path(path), dpi=130, bbox_inches="tight")
    plt.close(fig)


def plot_superchannel(sc, result, path, objective, title: str, true_snr_db=None) -> None:
    """Four panels: the objective per iteration; the per-subchannel SNR before and after (what is
    optimised); the spectra on the filter cascade; each subchannel's centre move (zoomed). With
    `true_snr_db` (a noisy model plant) the true objective of the best point is drawn too."""
    import jax.numpy as jnp
    import numpy as np

    import optnet as on

    plt = _pyplot()
    fig, ((a1, a2), (a3, a4)) = plt.subplots(2, 2, figsize=(12, 8))
    a1.plot(result.history, label="best so far")
    a1.plot(result.current, alpha=0.6, label="iterate")
    if true_snr_db is not None:
        a1.plot([objective.value(true_snr_db(d)) for d in result.trajectory], "k--", lw=1,
                label="best point, true (model)")
    a1.set_xlabel("iteration")
    a1.set_ylabel(f"{objective.name} (dB)")
    a1.set_title("objective", fontsize=10)
    a1.grid(alpha=0.3)
    a1.legend(fontsize=8)
    k = np.arange(1, sc.n_subchannels + 1)
    a2.plot(k, result.start_snr_db, "o:", color="0.4", label="start")
    a2.plot(k, result.snr_db, "o-", color="C0", label="optimised")
    if true_snr_db is not None:
        a2.plot(k, true_snr_db(result.distances), "x--", color="C3", label="optimised, true (model)")
    a2.set_xticks(k)
    a2.set_xlabel("subchannel")
    a2.set_ylabel("SNR (dB)")
    a2.set_title("per-subchannel SNR", fontsize=10)
    a2.grid(alpha=0.3)
    a2.legend(fontsize=8)
    half = 0.5 * float(sc.bandwidth) + 40e9
    f = jnp.linspace(-half, half, 2000)
    a3.plot(f / 1e9, 10 * np.log10(np.asarray(sc.filters.power_response(f)) + 1e-12), "k", label="filter cascade")
    for d, style, name in ((jnp.asarray(result.start_distances), ":", "start"), (jnp.asarray(result.distances), "-", "optimised")):
        for i, x in enumerate(np.asarray(sc.offsets(d))):
            psd = on.raised_cosine_spectrum(f - x, sc.symbol_rate[i], sc.roll_off[i])
            a3.plot(f / 1e9, 10 * np.log10(np.asarray(psd) + 1e-12), style, color=f"C{i % 10}", label=name if i == 0 else None)
    a3.set_ylim(-30, 3)
    a3.set_xlabel("offset from the superchannel centre (GHz)")
    a3.set_ylabel("PSD, normalised (dB)")
    a3.set_title("spectra on the filter cascade", fontsize=10)
    a3.grid(alpha=0.3)
    a3.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=3, fontsize=8, frameon=False)
    move = (np.asarray(sc.offsets(jnp.asarray(result.distances))) - np.asarray(sc.offsets(jnp.asarray(result.start_distances)))) / 1e9
    a4.bar(k, move, color=[f"C{i % 10}" for i in range(sc.n_subchannels)])
    a4.axhline(0.0, color="k", lw=0.8)
    lim = max(2.5, 1.2 * float(np.max(np.abs(move))))
    a4.set_ylim(-lim, lim)
    a4.set_xticks(k)
    a4.set_xlabel("subchannel")
    a4.set_ylabel("centre move from the start (GHz)")
    a4.set_title("placement (zoomed)", fontsize=10)
    a4.grid(alpha=0.3, axis="y")
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    fig.savefig(pathlib.Path(path), dpi=130, bbox_inches="tight")
    plt.close(fig)


def plot_network_demo(path, topology, lightpaths, before, after, margin, title):
    """Left: the network map (longitude, latitude), each fibre pair coloured by the smallest margin
    (dB) of the lightpaths on it after optimisation. Right: GSNR histograms before and after."""
    import numpy as np

    plt = _pyplot()
    fig, (ax_map, ax_hist) = plt.subplots(1, 2, figsize=(13, 4.8), gridspec_kw={"width_ratios": [1.5, 1]})
    pos = np.asarray(topology.coordinates)
    route, active = np.asarray(lightpaths.route), np.asarray(lightpaths.active)
    worst = np.full(topology.n_links, np.nan)
    for i in np.flatnonzero(active):
        for k in route[i][route[i] >= 0]:
            worst[k] = np.nanmin([worst[k], margin[1][i]])
    cmap = plt.get_cmap("RdYlGn")
    finite = worst[np.isfinite(worst)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    norm = plt.Normalize(lo, max(hi, lo + 1e-6))
    pair = {}
    for k, (s, t) in enumerate(zip(topology.source, topology.target)):  # both directions of a pair
        key = (min(s, t), max(s, t))
        pair[key] = np.nanmin([pair.get(key, np.nan), worst[k]])
    for (s, t), value in pair.items():
        colour = "0.8" if not np.isfinite(value) else cmap(norm(value))
        ax_map.plot(pos[[s, t], 0], pos[[s, t], 1], "-", color=colour, lw=3, zorder=1)
    ax_map.scatter(pos[:, 0], pos[:, 1], s=40, c="k", zorder=2)
    for name, (x, y) in zip(topology.nodes, pos):
        ax_map.annotate(name, (x, y), textcoords="offset points", xytext=(4, 4), fontsize=8)
    sm = plt.cm.ScalarMappable(norm=norm, cmap=cmap)
    fig.colorbar(sm, ax=ax_map, label="smallest margin on the fibre (dB)")
    ax_map.set_xlabel("longitude (deg)")
    ax_map.set_ylabel("latitude (deg)")
    ax_map.set_title(title, fontsize=10)
    g0, g1 = (np.asarray(r.gsnr_db)[active] for r in (before, after))
    bins = np.linspace(min(g0.min(), g1.min()), max(g0.max(), g1.max()), 25)
    ax_hist.hist(g0, bins, alpha=0.6, label=f"uniform power (mean {g0.mean():.2f} dB)")
    ax_hist.hist(g1, bins, alpha=0.6, label=f"optimised powers (mean {g1.mean():.2f} dB)")
    ax_hist.set_xlabel("lightpath GSNR (dB)")
    ax_hist.set_ylabel("lightpaths")
    ax_hist.legend(fontsize=8)
    ax_hist.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(pathlib.Path(path), dpi=150, bbox_inches="tight")
    plt.close(fig)
