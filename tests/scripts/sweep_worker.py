"""A sharded sweep of launch-power plans on NSFNET, run in a fresh process (device count and
`jax.distributed` must be set before JAX starts). Usage:
`python sweep_worker.py OUT.npz [PROCESS_ID N_PROCESSES PORT]`; XLA_FLAGS sets the local devices."""

import sys

import jax

jax.config.update("jax_enable_x64", True)
if len(sys.argv) > 2:
    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    jax.distributed.initialize(f"localhost:{sys.argv[4]}", num_processes=int(sys.argv[3]), process_id=int(sys.argv[2]))

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

import optnet as on  # noqa: E402
from optnet.io import load_topology  # noqa: E402

topo = load_topology("nsfnet")
net = on.Network(topo, grid=on.SlotGrid.uniform(64))
lp = on.Lightpaths.from_paths(topo, [["WA", "CA1", "CA2"], ["CA1", "CA2"], ["UT", "CO", "NE"], ["WA", "CA1"]],
                              [0, 4, 0, 8], 3, grid=net.grid, symbol_rate=32e9)
plans = 1e-3 * jnp.linspace(0.3, 3.0, 11)[:, None] * jnp.array([1.0, 1.3, 0.7, 1.1])  # 11 plans: padded
sharded = on.sweep(lambda p: net(lp.with_power(p)).gsnr, plans)
if jax.process_index() == 0:
    plain = jax.vmap(lambda p: net(lp.with_power(p)).gsnr)(plans)
    np.savez(sys.argv[1], sharded=np.asarray(sharded), plain=np.asarray(plain),
             devices=jax.device_count(), processes=jax.process_count())
