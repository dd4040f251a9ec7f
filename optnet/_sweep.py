"""Batches of scenarios evaluated in parallel over every device of every host."""

import functools

import jax
import numpy as np
from jax.experimental import multihost_utils
from jax.sharding import Mesh, NamedSharding, PartitionSpec


def sweep(fn, batch, *, devices=None):
    """`jax.vmap(fn)(batch)`, with the batch axis sharded over `devices` (default: all devices of
    all processes, `jax.devices()`).

    `batch` is a pytree whose leaves share a leading axis (launch-power plans, traffic
    matrices, link-failure masks, ...); `fn` maps one scenario to a pytree of arrays. The batch is
    padded to a multiple of the device count (repeating its last scenario), placed with a
    `NamedSharding` over a one-axis mesh `("batch",)`, evaluated by one jitted `vmap`, and
    returned unpadded; the result equals the unsharded `jax.vmap(fn)(batch)`.

    Under `jax.distributed` (several processes, e.g. one per host) every process calls `sweep`
    with the same `batch` and gets the whole result: each process places only its own devices'
    shards, and the outputs are gathered across processes."""
    leaves = jax.tree.leaves(batch)
    if not leaves:
        raise ValueError("`batch` has no arrays.")
    n = np.shape(leaves[0])[0]
    if any(np.ndim(x) == 0 or np.shape(x)[0] != n for x in leaves):
        raise ValueError("Every leaf of `batch` needs the same leading (batch) axis.")
    devices = jax.devices() if devices is None else list(devices)
    padded_n = -(-n // len(devices)) * len(devices)
    mesh = Mesh(np.asarray(devices), ("batch",))
    sharding = NamedSharding(mesh, PartitionSpec("batch"))

    def place(x):
        x = np.asarray(x)
        if padded_n > n:
            x = np.concatenate([x, np.repeat(x[-1:], padded_n - n, axis=0)])
        return jax.make_array_from_callback(x.shape, sharding, lambda index: x[index])

    out = _sharded_vmap(fn)(jax.tree.map(place, batch))
    if jax.process_count() > 1:
        out = multihost_utils.process_allgather(out, tiled=True)
    return jax.tree.map(lambda x: x[:n], out)


@functools.lru_cache(maxsize=32)
def _sharded_vmap(fn):
    """One compiled `vmap` per function (calling `sweep` again with the same `fn` reuses it)."""
    return jax.jit(jax.vmap(fn))
