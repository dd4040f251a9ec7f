"""Throughput of the RMSA environments on NSFNET (k = 5, 100 slots, 250 Erlang), post-compile, with
a random masked policy: as a single Gymnasium env (`RMSAEnv.step`, the mask from the previous
step) and as pure JAX (`interop.gym.step` in a jitted `lax.scan`, vmapped over 64 envs), in both
QoT modes ("gn": per-step GN-model masking; "reach": the reach table); the best of 3 rounds. `--soak` adds 1e5 random
masked steps per mode (pure JAX, 100 envs x 1,000 steps) checking that no observation or reward is
NaN and that every request gets a known outcome. `--blocking` runs KSP-FF through the env (reach
mode, the mask's first feasible action) at 250 E: 10 seeds x 20,000 requests after 3,000, against
the published figure and `optnet.ksp_first_fit` on fresh requests. `--sync-dispatch` runs JAX's
CPU computations inline (`jax_cpu_enable_async_dispatch=False`, set before JAX starts): a single
env's step is one small call, and the hand-off to JAX's dispatch thread costs a good part of it.
Run `python benchmarks/envs.py [--x64] [--soak] [--blocking] [--sync-dispatch] [--batches 1,64] [--no-single]`."""

import argparse
import time

import jax
import jax.numpy as jnp
import numpy as np

ROUNDS = 3


def random_masked(u, mask):
    """The j-th feasible action, j = floor(u x their count) for a uniform u: uniform among them.
    Counted by rows of 32 actions, then within the row (two short prefix sums)."""
    n = mask.shape[0]
    rows = -(-n // 32)
    m = jnp.pad(mask, (0, rows * 32 - n)).reshape(rows, 32).astype(jnp.int32)
    per_row = jnp.sum(m, axis=1)
    before = jnp.cumsum(per_row)
    j = jnp.floor(u * before[-1]).astype(jnp.int32)
    r = jnp.argmax(before > j)
    return r * 32 + jnp.argmax(jnp.cumsum(m[r]) > j - (before[r] - per_row[r]))


def rollout(og, params, key, n):
    """n steps of a random masked policy in a `lax.scan`; the policy's uniforms and the step keys
    are drawn up front (as an agent's actions would come from outside the env)."""
    k_reset, k_steps, k_policy = jax.random.split(key, 3)
    _, state = og.reset(k_reset, params)

    def body(state, x):
        u, k = x
        obs, state, reward, done, info = og.step(k, state, random_masked(u, state.mask), params)
        bad = ~jnp.all(jnp.isfinite(obs)) | ~jnp.isfinite(reward) | (info["reason"] < 0) | (info["reason"] >= 7)
        return state, (info["accepted"], bad)

    xs = (jax.random.uniform(k_policy, (n,)), jax.random.split(k_steps, n))
    state, (accepted, bad) = jax.lax.scan(body, state, xs)
    return jnp.mean(accepted), jnp.sum(bad)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--x64", action="store_true")
    parser.add_argument("--soak", action="store_true")
    parser.add_argument("--steps", type=int, default=3000, help="single-env steps")
    parser.add_argument("--blocking", action="store_true")
    parser.add_argument("--sync-dispatch", action="store_true", help="run CPU computations inline (no async dispatch)")
    parser.add_argument("--batches", default="1,64", help="vmapped batch sizes of the pure-JAX rollouts (e.g. 64,1024,8192 on a GPU)")
    parser.add_argument("--no-single", action="store_true", help="skip the single Gymnasium env")
    args = parser.parse_args()
    jax.config.update("jax_enable_x64", args.x64)
    jax.config.update("jax_cpu_enable_async_dispatch", not args.sync_dispatch)
    from interop import gym as og

    if args.blocking:
        blocking(og)

    print(f"NSFNET, k=5, 100 slots, 250 E, {'float64' if args.x64 else 'float32'}, {jax.devices()[0].device_kind}, "
          f"{'synchronous' if args.sync_dispatch else 'asynchronous (default)'} CPU dispatch; random masked policy")
    print(f"{'mode':>6} {'setting':>26} {'steps/s':>10} {'compile [s]':>12} {'accepted':>9}")
    for mode in ("gn", "reach"):
        t0 = time.perf_counter()
        env = og.RMSAEnv(qot_mode=mode, load=250.0, episode_length=10**9)
        build = time.perf_counter() - t0
        if not args.no_single:
            single(env, args.steps, mode, build)
        params = env.params
        for batch in map(int, args.batches.split(",")):
            n = 2000 if batch == 1 else 500 if batch <= 64 else 200
            run = jax.jit(jax.vmap(lambda key: rollout(og, params, key, n)))
            keys = jax.random.split(jax.random.PRNGKey(1), batch)
            t0 = time.perf_counter()
            jax.block_until_ready(run(keys))
            compile_time = time.perf_counter() - t0
            rate = 0.0
            for _ in range(ROUNDS):
                t0 = time.perf_counter()
                acc, bad = jax.block_until_ready(run(keys))
                rate = max(rate, batch * n / (time.perf_counter() - t0))
            print(f"{mode:>6} {f'pure JAX, vmap {batch}':>26} {rate:>10.0f} {compile_time:>12.1f} {float(acc.mean()):>9.3f}")
        if args.soak:
            run = jax.jit(jax.vmap(lambda key: rollout(og, params, key, 1000)))
            t0 = time.perf_counter()
            acc, bad = jax.block_until_ready(run(jax.random.split(jax.random.PRNGKey(2), 100)))
            print(f"{mode:>6} soak 1e5 random masked steps: {int(bad.sum())} bad (NaN or unknown outcome), "
                  f"accepted {float(acc.mean()):.3f}, {time.perf_counter() - t0:.1f} s")


def single(env, steps, mode, build):
    """The Gymnasium env in a Python loop, the policy drawing from the mask the step returned."""
    rng = np.random.default_rng(0)
    t0 = time.perf_counter()
    obs, info = env.reset(seed=0)
    env.step(int(np.flatnonzero(info["action_mask"])[0]))
    compile_single = time.perf_counter() - t0
    mask = env.action_masks()
    accepted, rate = 0, 0.0
    for _ in range(ROUNDS):  # the best round: this machine is shared and noisy
        t0 = time.perf_counter()
        for _ in range(steps):
            choices = np.flatnonzero(mask)
            obs, reward, terminated, truncated, info = env.step(int(choices[rng.integers(choices.size)]))
            mask = info["action_mask"]
            accepted += info["accepted"]
        rate = max(rate, steps / (time.perf_counter() - t0))
    print(f"{mode:>6} {'Gymnasium env, 1':>26} {rate:>10.0f} {compile_single:>12.1f} {accepted / (ROUNDS * steps):>9.3f}"
          f"   (tables and paths built in {build:.1f} s)")


def blocking(og):
    """KSP-FF through the env vs the published blocking and `ksp_first_fit` (NSFNET, 250 E)."""
    from scipy import stats

    import optnet as on

    warmup, n, seeds = 3000, 20_000, 10
    params = og.rmsa_params(og.make_network("nsfnet"), qot_mode="reach", load=250.0)

    def episode(key):
        _, state = og.reset(key, params)

        def body(state, k):
            obs, state, reward, done, info = og.step(k, state, jnp.argmax(state.mask), params)
            return state, info["accepted"]

        return 1.0 - jnp.mean(jax.lax.scan(body, state, jax.random.split(key, warmup + n))[1][warmup:])

    env_values = np.asarray(jax.jit(jax.vmap(episode))(jax.random.split(jax.random.PRNGKey(7), seeds)))
    paths = params.paths
    ref = []
    for seed in range(seeds):
        req = on.poisson_requests(jax.random.PRNGKey(100 + seed), warmup + n, params.n_nodes, 250.0)
        ref.append(float(on.ksp_first_fit(paths, req, params.n_links, params.n_slots).blocking(warmup)))
    for name, v in (("KSP-FF through RMSAEnv", env_values), ("optnet.ksp_first_fit", np.asarray(ref))):
        half = stats.t.ppf(0.975, len(v) - 1) * v.std(ddof=1) / np.sqrt(len(v))
        print(f"{name:>24}: blocking {v.mean():.2e} [{v.mean() - half:.2e}, {v.mean() + half:.2e}] "
              f"({seeds} seeds x {n} requests; published 2.5e-2)")


if __name__ == "__main__":
    main()
