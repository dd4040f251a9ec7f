"""Train MaskablePPO (sb3-contrib) on `RMSAEnv` (NSFNET, k = 5, 100 slots) and compare its service
blocking with a random masked policy, KSP-FF, and KSP-FF with the GN-model QoT check.

Needs the `rl` extra (`pip install -e ".[rl]"`: CPU PyTorch, Stable-Baselines3, sb3-contrib).
Run `python examples/train_rmsa.py [--fast] [--timesteps N] [--load E] [--qot-mode gn|reach]`;
`--fast` trains 4,096 steps (a smoke test, as in the test suite)."""

import argparse
import time

import numpy as np


def evaluate(env, policy, requests: int, seed: int) -> float:
    """Service blocking over `requests` requests (after a warm-up of one tenth of them)."""
    obs, info = env.reset(seed=seed)
    warmup = requests // 10
    blocked = 0
    for i in range(requests + warmup):
        obs, reward, terminated, truncated, info = env.step(policy(obs, info["action_mask"]))
        blocked += (i >= warmup) and not info["accepted"]
    return blocked / requests


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--fast", action="store_true")
    parser.add_argument("--timesteps", type=int, default=200_000)
    parser.add_argument("--load", type=float, default=None, help="Erlang (default: 850 in gn mode, 400 in reach mode)")
    parser.add_argument("--qot-mode", default="gn", choices=("gn", "reach"))
    parser.add_argument("--eval-requests", type=int, default=5000)
    args = parser.parse_args()
    timesteps = 4096 if args.fast else args.timesteps
    # "gn" mode sizes lightpaths for dual-polarisation symbols, "reach" as the benchmark (half the
    # symbol rate per slot): comparable blocking needs about twice the load
    load = args.load or (850.0 if args.qot_mode == "gn" else 400.0)
    requests = 1000 if args.fast else args.eval_requests

    from sb3_contrib import MaskablePPO

    from interop.gym import RMSAEnv

    kwargs = dict(load=load, qot_mode=args.qot_mode, episode_length=512)
    env = RMSAEnv(**kwargs)
    model = MaskablePPO("MlpPolicy", env, n_steps=1024, batch_size=256, learning_rate=3e-4, gamma=0.95, seed=0, verbose=0)
    t0 = time.perf_counter()
    model.learn(total_timesteps=timesteps)
    train_s = time.perf_counter() - t0

    rng = np.random.default_rng(0)
    eval_env = RMSAEnv(**dict(kwargs, episode_length=10**9))
    policies = {
        "MaskablePPO": lambda obs, mask: int(model.predict(obs, action_masks=mask, deterministic=True)[0]),
        "random masked": lambda obs, mask: int(rng.choice(np.flatnonzero(mask))),
        f"KSP-FF{' + GN QoT check' if args.qot_mode == 'gn' else ''}": lambda obs, mask: int(np.flatnonzero(mask)[0]),
    }
    if args.qot_mode == "gn":  # KSP-FF without the QoT check: the reach table's formats and masks
        reach = RMSAEnv(**dict(kwargs, qot_mode="reach", episode_length=10**9))
        results = {"KSP-FF (reach table)": evaluate(reach, policies["KSP-FF + GN QoT check"], requests, 1)}
    else:
        results = {}
    for name, policy in policies.items():
        results[name] = evaluate(eval_env, policy, requests, 1)
    print(f"NSFNET, {load:g} E, {args.qot_mode} mode; MaskablePPO trained {timesteps} steps in {train_s:.0f} s")
    print(f"{'policy':>26} {'blocking':>9}")
    for name, value in results.items():
        print(f"{name:>26} {value:>9.4f}")
    return results


if __name__ == "__main__":
    main()
