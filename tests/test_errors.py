"""Bad input gets a clear error, never a NaN: eagerly at construction and inside jit."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest


def _ok():
    import optnet as on

    return on.GNLink.uniform(on.Fibre.from_datasheet(80.0), 3), on.Spectrum.uniform(8, 50e9, symbol_rate=40e9)


@pytest.mark.parametrize("length", [0.0, -5.0])
def test_bad_length(length):
    import optnet as on

    with pytest.raises(ValueError, match="length"):
        on.Fibre.from_datasheet(length)
    link, s = _ok()
    bad = eqx.tree_at(lambda l: l.spans.fibre.length, link, jnp.asarray(length * 1e3))
    with pytest.raises(Exception, match="length"):
        jax.block_until_ready(bad(s).gsnr)
    # traced: a span length that is only known inside jit
    with pytest.raises(Exception, match="length"):
        jax.block_until_ready(jax.jit(lambda L: eqx.tree_at(lambda l: l.spans.fibre.length, link, L)(s).gsnr)(jnp.asarray(length)))


def test_negative_power():
    import optnet as on

    with pytest.raises(ValueError, match="power"):
        on.Spectrum(jnp.asarray([193e12, 193.1e12]), 32e9, -1e-3)
    link, s = _ok()
    with pytest.raises(Exception, match="power"):
        jax.block_until_ready(jax.jit(lambda p: link(eqx.tree_at(lambda x: x.power, s, p)).gsnr)(-s.power))


def test_nan_inputs():
    import optnet as on

    with pytest.raises(ValueError, match="NaN"):
        on.Spectrum(jnp.asarray([193e12, jnp.nan]), 32e9, 1e-3)
    with pytest.raises(ValueError, match="NaN"):
        on.Fibre.from_datasheet(80.0, gamma_per_w_km=float("nan"))
    link, s = _ok()
    with pytest.raises(Exception, match="NaN"):
        jax.block_until_ready(link(eqx.tree_at(lambda x: x.power, s, s.power.at[2].set(jnp.nan))).gsnr)
    with pytest.raises(Exception, match="NaN"):
        jax.block_until_ready(eqx.tree_at(lambda l: l.spans.fibre.gamma, link, jnp.asarray(jnp.nan))(s).gsnr)


def test_mismatched_shapes():
    import optnet as on

    f = 193e12 + 50e9 * jnp.arange(4)
    with pytest.raises(ValueError, match="symbol_rate"):
        on.Spectrum(f, jnp.full(3, 32e9), 1e-3)
    with pytest.raises(ValueError, match="power"):
        on.Spectrum(f, 32e9, jnp.full(5, 1e-3))
    link, _ = _ok()
    with pytest.raises(ValueError, match="per-span profile"):
        link(on.Spectrum(f, 32e9, jnp.full((2, 4), 1e-3)))
    tri = on.Fibre.from_datasheet(80.0)
    tab = on.Fibre.from_datasheet(80.0, raman=on.TabulatedRamanGain(jnp.asarray([0.0, 15e12]), jnp.asarray([0.0, 4e-14])))
    with pytest.raises(ValueError, match="structure"):
        on.stack_spans([tri, tab])
    assert on.GNLink([tri, tab, tab]).counts == (1, 2)  # mixed kinds: one segment per run
    with pytest.raises(ValueError, match="n_spans"):
        on.GNLink([on.Fibre.from_datasheet(80.0)] * 2, n_spans=2)
    with pytest.raises(ValueError, match="empty"):
        on.GNLink([])
    with pytest.raises(ValueError, match="n_spans"):
        on.GNLink(on.Fibre.from_datasheet(80.0).stack(3), n_spans=4)


def test_overlapping_channels():
    import optnet as on

    with pytest.raises(ValueError, match="overlap"):
        on.Spectrum(jnp.asarray([193e12, 193.03e12]), 32e9, 1e-3, roll_off=0.1)
    link, s = _ok()
    f = s.frequency.at[1].set(s.frequency[0] + 10e9)
    with pytest.raises(Exception, match="overlap"):
        jax.block_until_ready(jax.jit(lambda f: link(eqx.tree_at(lambda x: x.frequency, s, f)).gsnr)(f))


def test_zero_channels():
    import optnet as on

    with pytest.raises(ValueError, match="non-empty"):
        on.Spectrum(jnp.zeros((0,)), 32e9, 1e-3)
    with pytest.raises(ValueError, match="n_channels"):
        on.Spectrum.uniform(0, 50e9)


def test_noise_figure_below_0db():
    import optnet as on

    with pytest.raises(ValueError, match="0 dB"):
        on.Edfa.from_db(-1.0)
    link, s = _ok()
    bad = eqx.tree_at(lambda l: l.spans.amplifier.noise_figure, link, jnp.asarray(0.5))
    with pytest.raises(Exception, match="0 dB"):
        jax.block_until_ready(bad(s).gsnr)


def test_frequencies_outside_raman_table():
    import optnet as on

    table = on.TabulatedRamanGain(jnp.linspace(0, 2e12, 5), jnp.linspace(0, 5e-14, 5))
    fibre = on.Fibre.from_datasheet(80.0, raman=table)
    link = on.GNLink.uniform(fibre, 2)
    narrow = on.Spectrum.uniform(8, 50e9, symbol_rate=40e9)
    assert np.all(np.isfinite(link(narrow).gsnr))
    wide = on.Spectrum.uniform(60, 50e9, symbol_rate=40e9)  # 2.95 THz > 2 THz table
    with pytest.raises(Exception, match="tabulated Raman gain"):
        jax.block_until_ready(link(wide).gsnr)
    with pytest.raises(ValueError, match="increasing"):
        on.TabulatedRamanGain(jnp.asarray([0.0, 2e12, 1e12]), jnp.zeros(3))


def test_wrong_types():
    import optnet as on

    with pytest.raises(TypeError, match="Fibre"):
        on.GNLink("not a fibre")
    with pytest.raises(TypeError, match="amplifier"):
        on.FibreSpan(on.Fibre.from_datasheet(80.0), on.Transceiver.from_db(20.0))
    with pytest.raises(ValueError, match="amplifier"):
        on.GNLink.uniform(on.FibreSpan(on.Fibre.from_datasheet(80.0)), 2, amplifier=on.Edfa.from_db(5.0))
    with pytest.raises(ValueError, match="n_spans"):
        on.GNLink.uniform(on.Fibre.from_datasheet(80.0), 0)
    with pytest.raises(ValueError, match="Unknown modulation"):
        on.Spectrum.uniform(4, 50e9, modulation="17QAM")
