"""Gymnasium environments (interop.gym): API conformance, seeding, masks, the KSP-FF baseline and
the GN-model QoT tables against the network model."""

import gymnasium
import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import interop  # noqa: F401  (registers the environments)
import optnet as on
from interop import gym as og

# one shape per mode, shared by the tests (each compiles once per worker)
REACH = dict(qot_mode="reach", load=400.0, episode_length=64)
GN = dict(qot_mode="gn", load=150.0, episode_length=64, n_slots=48, power_per_slot=2e-3)


@pytest.fixture(scope="module")
def reach_env():
    return og.RMSAEnv(**REACH)


@pytest.fixture(scope="module")
def gn_env():
    return og.RMSAEnv(**GN)


def first_fit(mask):
    """KSP-FF on the mask: the first feasible (path, slot) in the table's order, else reject."""
    return int(np.flatnonzero(mask)[0])


def test_check_env(reach_env, gn_env):
    check_env(reach_env, skip_render_check=True)
    check_env(gn_env, skip_render_check=True)


def test_registered_make_and_vector():
    env = gymnasium.make("optnet/RMSA-v0", **REACH)
    assert isinstance(env.unwrapped, og.RMSAEnv)
    venv = gymnasium.make_vec("optnet/RMSA-v0", num_envs=3, vectorization_mode="vector_entry_point", **REACH)
    assert venv.metadata["autoreset_mode"] == gymnasium.vector.AutoresetMode.SAME_STEP
    obs, info = venv.reset(seed=[1, 2, 3])
    assert obs.shape == (3, env.observation_space.shape[0]) and obs.dtype == np.float32
    ended = False
    for _ in range(REACH["episode_length"]):
        obs, reward, terminated, truncated, info = venv.step(np.asarray([first_fit(m) for m in venv.action_masks()]))
        assert venv.observation_space.contains(obs) and not terminated.any()
        if truncated.any():
            ended = True
            assert truncated.all() and info["_final_obs"].all() and info["final_obs"].shape == obs.shape
            assert not np.array_equal(info["final_obs"], obs)  # the next episode's first observation
    assert ended
    # envs seeded alike run alike; a seed list is one seed per env
    o2, _ = venv.reset(seed=[5, 5, 5])
    assert np.array_equal(o2[0], o2[1]) and np.array_equal(o2[1], o2[2])


def run_episode(env, seed, steps=40):
    obs, info = env.reset(seed=seed)
    trace = [obs]
    for _ in range(steps):
        obs, reward, _, _, info = env.step(first_fit(info["action_mask"]))
        trace.append(obs)
    return np.asarray(trace), env.state


def test_seeding(reach_env):
    a, sa = run_episode(reach_env, 7)
    b, sb = run_episode(reach_env, 7)
    c, _ = run_episode(reach_env, 8)
    assert np.array_equal(a, b)
    assert float(sa.time) == float(sb.time) and int(sa.accepted) == int(sb.accepted)
    assert not np.array_equal(a, c)


def test_phased_step_equals_inline_step(reach_env):
    """`RMSAEnv` runs the core's phases as separate kernel sequences (`Phases`); the step is the
    same as the inline one that `vmap`/`scan` use."""
    from interop.gym._phase import Phases

    params = reach_env.params
    inline = jax.jit(lambda k, s, a: og.step(k, s, a, params))
    phased = jax.jit(lambda k, s, a: og.step(k, s, a, params, run=Phases()))
    reach_env.reset(seed=0)
    state = reach_env.state
    for i, k in enumerate(jax.random.split(jax.random.PRNGKey(1), 12)):
        choices = np.flatnonzero(np.asarray(state.mask))
        action = int(choices[min(i % 3, choices.size - 1)]) if i % 5 else params.n_actions - 1
        a, b = inline(k, state, action), phased(k, state, action)
        for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b)):
            np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=1e-12, atol=0)
        state = a[1]
    assert int(state.accepted) > 0


def test_words_round_trip():
    """The env carries its state as 32-bit words (`Packing.to_words`): every dtype it holds comes
    back bit for bit (64-bit values as two words, booleans as one), and others are refused."""
    from interop.gym._packing import Packing

    tree = {"f64": jnp.array([1.5, -np.inf, np.nan, 1e-310]), "f32": jnp.array([3.25, -0.0], jnp.float32),
            "i32": jnp.array([-7, 2**31 - 1], jnp.int32), "u32": jnp.array([2**32 - 1], jnp.uint32),
            "flags": jnp.array([True, False, True])}
    packing = Packing.of(tree)
    words = packing.to_words(packing.pack(tree))
    assert words.dtype == jnp.uint32 and words.shape == (4 * 2 + 2 + 2 + 1 + 3,)
    back = packing.unpack(packing.from_words(words))
    for k in tree:
        assert back[k].dtype == tree[k].dtype
        np.testing.assert_array_equal(np.asarray(back[k]).view(np.uint8), np.asarray(tree[k]).view(np.uint8))
    small = Packing.of({"x": jnp.zeros(3, jnp.int8)})
    with pytest.raises(TypeError, match="int8"):
        small.to_words(small.pack({"x": jnp.zeros(3, jnp.int8)}))


def rollout(params, key, n, policy):
    """`n` steps of the pure-JAX core under `policy(key, mask)`; the requests and infos."""
    obs, state = og.reset(key, params)

    def body(state, k):
        k1, k2 = jax.random.split(k)
        request = (state.source, state.destination, state.bit_rate, state.time, state.holding)
        obs, state, reward, done, info = og.step(k2, state, policy(k1, state.mask), params)
        return state, (request, obs, reward, info)

    return jax.lax.scan(body, state, jax.random.split(key, n))


def random_policy(key, mask):
    return jax.random.categorical(key, jnp.where(mask, 0.0, -jnp.inf))


@pytest.fixture(scope="module")
def ksp_run(reach_env):
    """KSP-FF (the first feasible action) through the Gymnasium env: 2,000 steps' infos."""
    env = reach_env
    _, info = env.reset(seed=3)
    infos = []
    for _ in range(2000):
        _, _, _, _, info = env.step(first_fit(info["action_mask"]))
        infos.append(info)
    return {k: np.asarray([i[k] for i in infos]) for k in infos[0] if k not in ("action_mask", "reason_text")}


def test_ksp_ff_through_env_equals_ksp_first_fit(reach_env, ksp_run):
    """KSP-FF acting through the env makes the same decisions as `optnet.ksp_first_fit` on the
    env's own request sequence (NSFNET, k = 5, 100 slots, 400 Erlang: ~10 % blocked)."""
    params, info = reach_env.params, ksp_run
    requests = on.Requests(*(jnp.asarray(info[k]) for k in ("source", "destination", "bit_rate", "arrival", "holding")))
    alloc = on.ksp_first_fit(params.paths, requests, params.n_links, params.n_slots)
    assert np.array_equal(np.asarray(alloc.accepted), info["accepted"])
    assert np.array_equal(np.asarray(alloc.first_slot), info["first_slot"])
    assert 0.02 < 1 - float(np.mean(info["accepted"][500:])) < 0.5


def test_masked_out_action_blocks_with_reason(reach_env):
    env = reach_env
    _, info = env.reset(seed=0)
    busy = np.flatnonzero(~info["action_mask"][:-1])
    for _ in range(30):  # load the network until some placement is infeasible
        if busy.size:
            break
        _, _, _, _, info = env.step(first_fit(info["action_mask"]))
        busy = np.flatnonzero(~info["action_mask"][:-1])
    before = int(env.state.accepted)
    obs, reward, terminated, truncated, info = env.step(int(busy[0]))
    assert not info["accepted"] and info["reason"] in (2, 5) and reward == -1.0
    assert "spectrum" in info["reason_text"] or "path" in info["reason_text"]
    assert int(env.state.accepted) == before
    _, reward, _, _, info = env.step(env.action_space.n - 1)
    assert info["reason"] == 1 and not info["accepted"]
    with pytest.raises(ValueError, match="action"):
        env.step(env.action_space.n)


def lightpaths_of(params, state):
    """The env's established lightpaths as optnet `Lightpaths` (data slots; Gaussian)."""
    t = state.lightpaths
    q = params.qot
    d = t.data_slots
    return on.Lightpaths(t.route, t.first_slot, d, q.power[d - 1], q.symbol_rate[d - 1], jnp.zeros(d.shape), t.active)


@pytest.fixture(scope="module")
def gn_run(gn_env):
    """400 random masked steps through the Gymnasium env ("gn" mode): the params, the final
    state and the observations, rewards and infos."""
    env, rng = gn_env, np.random.default_rng(11)
    obs, info = env.reset(seed=11)
    trace = []
    for _ in range(400):
        obs, reward, _, _, info = env.step(int(rng.choice(np.flatnonzero(info["action_mask"]))))
        trace.append((obs, reward, info["accepted"], info["margin_db"]))
    obs, reward, accepted, margin = (np.asarray(x) for x in zip(*trace))
    return env.params, (env.state, (None, obs, reward, {"accepted": accepted, "margin_db": margin}))


def test_gn_tables_match_network_and_keep_thresholds(gn_run):
    """The env's per-lightpath NSR (the NSR field: base + XPM) equals the network model's within
    0.05 dB (ISRS between lightpaths neglected), and every established lightpath meets its
    format's threshold (the mask protects them)."""
    params, (state, (_, obs, reward, info)) = gn_run
    t = state.lightpaths
    assert int(t.active.sum()) > 20
    net = og.make_network("nsfnet", n_slots=GN["n_slots"])
    result = net(lightpaths_of(params, state))
    rows = jnp.where(t.route >= 0, t.route, params.n_links)
    idx = (rows, t.data_slots[:, None] - 1, t.first_slot[:, None])
    own = jnp.sum(state.field[idx], axis=1) + t.terminal  # the field holds base + XPM
    on_ = np.asarray(t.active)
    env_db = -10 * np.log10(np.asarray(own)[on_])
    net_db = np.asarray(result.gsnr_db)[on_]
    assert np.max(np.abs(env_db - net_db)) < 0.05
    assert np.all(np.asarray(own)[on_] * np.asarray(t.threshold)[on_] <= 1 + 1e-9)
    assert np.all(np.isfinite(np.asarray(obs))) and np.all(np.isfinite(np.asarray(reward)))
    assert np.all(np.asarray(info["margin_db"])[np.asarray(info["accepted"])] >= 0)


def test_gn_mask_matches_brute_force(gn_run):
    """Placing the current request by brute force (the lightpath added, every NSR recomputed):
    the placements the mask allows keep every lightpath above its threshold and the new one above
    threshold plus margin; those refused for an established lightpath's sake break one."""
    from interop.gym import _rmsa

    params, (state, _) = gn_run

    @jax.jit
    def after(state, action, fmt):
        """Every lightpath's NSR x its threshold with the request placed at `action` in format
        `fmt`, and the new lightpath's row."""
        p, s = action // params.n_slots, action % params.n_slots
        row = params.paths.pair(state.source, state.destination)
        links = params.paths.links[row, p]
        width, data = _rmsa._width(state.bit_rate, fmt, row, p, params)
        placed = _rmsa._place(state, params, jnp.bool_(True), links, s, width, data, fmt)
        t = placed.lightpaths
        rows = jnp.where(t.route >= 0, t.route, params.n_links)
        idx = (rows, t.data_slots[:, None] - 1, t.first_slot[:, None])
        own = jnp.sum(placed.field[idx], axis=1) + t.terminal
        return jnp.where(t.active, own * t.threshold, 0.0), jnp.argmin(state.lightpaths.active), width

    next_request = jax.jit(lambda key, state: _rmsa._next_request(key, state, params))
    n_formats = params.threshold.shape[0]
    checked = {0: 0, 4: 0}
    formats_checked = 0
    for seed in range(200):  # requests on the loaded network, until both kinds were seen
        if min(checked.values()) >= 8:
            break
        state = next_request(jax.random.PRNGKey(seed), state)  # the next request, same network
        reason = np.asarray(state.reason).reshape(-1)
        free = np.asarray(state.free)
        for code in (0, 4):
            actions = np.flatnonzero(reason == code)[:4]
            for a in actions.astype(np.int32):
                if code == 0:  # the chosen format keeps everyone above threshold
                    ratio, _, _ = after(state, a, state.choice.reshape(-1)[a])
                    assert float(jnp.max(ratio)) <= 1 + 1e-9
                else:  # every format whose slots are free and that meets its own threshold plus
                    # margin breaks an established lightpath (the inverse kernel is conservative by <= 0.7 %)
                    p, s = divmod(int(a), params.n_slots)
                    for f in range(n_formats):
                        ratio, row, width = after(state, a, jnp.int32(f))
                        ratio, width = np.asarray(ratio), int(width)
                        if s + width > params.n_slots or not free[p, s:s + width].all():
                            continue
                        if ratio[row] * float(params.margin) <= 1.0:
                            assert np.delete(ratio, int(row)).max() > 1 / 1.01
                            formats_checked += 1
                checked[code] += 1
    assert checked[0] > 0 and checked[4] > 0 and formats_checked >= checked[4], (checked, formats_checked)


def test_bad_arguments():
    with pytest.raises(ValueError, match="qot_mode"):
        og.RMSAEnv(qot_mode="osnr")
    with pytest.raises(ValueError, match="margin"):
        og.RMSAEnv(qot_mode="reach", reward="margin")
    with pytest.raises(ValueError, match="bit_rate_gbps"):
        og.RMSAEnv(qot_mode="reach", bit_rate_gbps=(25e9, 100e9))
    with pytest.raises(ValueError, match="power_per_slot"):
        og.RMSAEnv(qot_mode="reach", power_per_slot=0.3)
    with pytest.raises(TypeError, match="network"):
        og.RMSAEnv(network="nsfnet")


@pytest.mark.slow
def test_soak_random_masked_steps_vmapped(reach_env, gn_env):
    """Random masked policies, 8 envs x 4,000 steps per mode: finite observations and rewards,
    only known reasons (the 1e5-step soak is `benchmarks/envs.py --soak`)."""
    for params in (reach_env.params, gn_env.params):
        run = jax.jit(jax.vmap(lambda key: rollout(params, key, 4000, random_policy)))
        state, (_, obs, reward, info) = run(jax.random.split(jax.random.PRNGKey(5), 8))
        assert np.all(np.isfinite(np.asarray(obs))) and np.all(np.isfinite(np.asarray(reward)))
        assert np.all(np.asarray(info["reason"]) == np.where(np.asarray(info["accepted"]), 0, np.asarray(info["reason"])))
        assert np.all(np.asarray(info["accepted"]) | (np.asarray(info["reason"]) > 0))


@pytest.fixture(scope="module")
def power_env():
    return gymnasium.make("optnet/LaunchPower-v0", requests=8, horizon=4).unwrapped


def test_launch_power_env(power_env):
    """check_env; the reward is the network's throughput at the chosen powers; gradients through
    the transition are opt-in and then match finite differences."""
    import dataclasses

    env = power_env
    check_env(env, skip_render_check=True)
    env.reset(seed=0)
    action = np.linspace(-2.0, 2.0, env.action_space.shape[0]).astype(np.float32)
    obs, reward, _, _, info = env.step(action)
    p = env.params
    expected = p.network(p.lightpaths.with_power(on.dbm_to_watt(jnp.asarray(action, float)))).total_throughput() / 1e12
    assert reward == pytest.approx(float(expected), rel=1e-5)
    assert env.observation_space.contains(obs)
    state = env.state

    def reward_of(params, a):
        return og.power_step(jax.random.PRNGKey(0), state, a, params)[2]

    a = jnp.asarray(action, float)
    grad, value = eqx.filter_jit(jax.grad(reward_of, argnums=1)), eqx.filter_jit(reward_of)  # compiled, not eager
    assert float(jnp.max(jnp.abs(grad(p, a)))) == 0.0  # stopped by default
    live = dataclasses.replace(p, gradients=True)
    g = grad(live, a)
    e = jnp.zeros_like(a).at[0].set(1e-3)
    fd = (value(live, a + e) - value(live, a - e)) / 2e-3
    assert float(g[0]) == pytest.approx(float(fd), rel=1e-4)


@pytest.mark.slow
def test_maskable_ppo_beats_random_masked():
    """MaskablePPO (sb3-contrib, the `rl` extra) trained briefly on RMSAEnv (NSFNET, 400 E) blocks
    less than a random masked policy (the example's fast mode)."""
    pytest.importorskip("sb3_contrib")
    import importlib.util
    import pathlib

    spec = importlib.util.spec_from_file_location("train_rmsa", pathlib.Path(__file__).parents[1] / "examples" / "train_rmsa.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    import sys

    argv, sys.argv = sys.argv, ["train_rmsa.py", "--fast", "--qot-mode", "reach"]
    try:
        results = module.main()
    finally:
        sys.argv = argv
    assert results["MaskablePPO"] < results["random masked"]


@pytest.mark.slow
def test_ppo_trains_on_launch_power(power_env):
    """PPO (Stable-Baselines3) on LaunchPowerEnv, actions rescaled to [-1, 1]: after training, its
    deterministic policy earns more throughput than random powers."""
    pytest.importorskip("stable_baselines3")
    from stable_baselines3 import PPO

    env = gymnasium.wrappers.RescaleAction(gymnasium.make("optnet/LaunchPower-v0", requests=8, horizon=4), -1.0, 1.0)
    model = PPO("MlpPolicy", env, n_steps=256, batch_size=64, learning_rate=1e-3, seed=0, verbose=0)
    model.learn(total_timesteps=3072)
    obs, _ = env.reset(seed=1)
    trained = [env.step(model.predict(obs, deterministic=True)[0])[1] for _ in range(4)]
    rng = np.random.default_rng(0)
    random = [env.step(rng.uniform(-1, 1, env.action_space.shape).astype(np.float32))[1] for _ in range(16)]
    assert np.mean(trained) > np.mean(random)


def test_superchannel_env_on_model_and_live_plants():
    """check_env; the env on a ModelPlant equals its pure-JAX core; the same policy runs on a
    CallbackPlant (a live network behind callbacks, here the same model) with the same rewards."""
    from interop.feedback import CallbackPlant

    env = gymnasium.make("optnet/Superchannel-v0").unwrapped
    check_env(env, skip_render_check=True)
    obs, _ = env.reset(seed=0)
    params = env.functional()
    obs_core, state = og.placement_reset(jax.random.PRNGKey(0), params)
    np.testing.assert_allclose(obs, np.asarray(obs_core), rtol=1e-6)
    moves = np.linspace(-1e9, 1e9, env.action_space.shape[0]).astype(np.float32)
    _, reward, _, _, info = env.step(moves)
    _, _, reward_core, _, _ = og.placement_step(jax.random.PRNGKey(0), state, jnp.asarray(moves, float), params)
    assert reward == pytest.approx(float(reward_core), rel=1e-9)
    distances = og.distances_of(env.start, moves.astype(float))
    assert np.sum(distances) == pytest.approx(np.sum(env.start), rel=1e-12)  # the bandwidth is kept
    assert reward == pytest.approx(float(np.min(env.plant.superchannel.snr_db(jnp.asarray(distances)))), rel=1e-9)
    sc = env.plant.superchannel
    live = gymnasium.make("optnet/Superchannel-v0", plant=CallbackPlant(lambda d: np.asarray(sc.snr_db(jnp.asarray(d))), sc.n_subchannels),
                          start=env.start).unwrapped
    live.reset(seed=0)
    assert live.step(moves)[1] == pytest.approx(reward, rel=1e-12)


@pytest.mark.slow
def test_raman_pump_env():
    """check_env on the Raman pump env; its reward is the link's throughput at those pumps."""
    env = gymnasium.make("optnet/RamanPumps-v0", n_channels=8, n_spans=1, horizon=2).unwrapped
    check_env(env, skip_render_check=True)
    env.reset(seed=0)
    action = np.full(env.action_space.shape, 0.1, np.float32)
    _, reward, _, _, _ = env.step(action)
    p = env.params
    link = og._raman_pumps._with_pumps(p, jnp.asarray(action, float))
    assert reward == pytest.approx(float(on.total_throughput_tbps(link, p.spectrum)), rel=1e-6)
