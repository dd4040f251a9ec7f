"""The phases of an environment step, each as its own XLA kernel sequence.

XLA:CPU runs a compiled computation's kernels as a dependency graph: when several are ready at once
it hands some to its thread pool, unless the sequence has at most 8 kernels (or only tiny buffers),
which it runs inline, one after the other (`ThunkExecutor`, `execute_sequential_num_thunks_threshold`
in XLA's `backends/cpu/runtime`). A single environment's step is about 50 small kernels and 10 µs of
work, and between two steps of a Python loop the pool's threads go to sleep: waking them costs
more than the work. A `lax.cond` branch is a kernel sequence of its own, so `Phases` runs each phase
of a step as the branch of a `cond` on an opaque True, its operands and results packed (one buffer
per dtype: a buffer per leaf would add a copy kernel per leaf), and hands a phase's packed result
straight to the next phase that takes it."""

import jax
import jax.numpy as jnp

from ._packing import Packing


def inline(f, *args):
    """Run a phase as part of the surrounding computation (the default: best under `vmap`/`scan`)."""
    return f(*args)


class Phases:
    """Run phases as separate kernel sequences (see the module): `run(f, *args)`. `bind(tree,
    packing, buffers)` declares a pytree that is already packed (an argument of the jitted step).

    A phase's operands are the buffers its arguments' leaves came from (an earlier phase's results,
    or a bound argument), plus one packing of any other leaves; the phase picks its leaves out of
    them, inside its own kernel sequence."""

    def __init__(self):
        self._sources = []  # (Packing, buffers, leaves) of each bound or phase-result tree
        self._where = {}  # id of a leaf -> (source, index among its leaves)

    def bind(self, tree, packing: Packing, buffers: tuple):
        leaves = jax.tree.leaves(tree)
        n = len(self._sources)
        self._sources.append((packing, tuple(buffers), leaves))  # the leaves kept alive: their ids stay unique
        for i, leaf in enumerate(leaves):
            self._where[id(leaf)] = (n, i)
        return tree

    def packed(self, tree) -> tuple:
        """`tree`'s buffers: those it was bound with or came out of a phase in, else new ones."""
        for packing, buffers, leaves in self._sources:
            if len(leaves) == len(jax.tree.leaves(tree)) and all(
                    a is b for a, b in zip(leaves, jax.tree.leaves(tree))) and jax.tree.structure(tree) == packing.treedef:
                return buffers
        return Packing.of(tree).pack(tree)

    def __call__(self, f, *args):
        flat, treedef = jax.tree.flatten(args)
        where = [self._where.get(id(leaf)) for leaf in flat]
        used = sorted({w[0] for w in where if w is not None})
        loose = [leaf for leaf, w in zip(flat, where) if w is None]
        loose_packing = Packing.of(loose)
        operands = tuple(b for n in used for b in self._sources[n][1]) + loose_packing.pack(loose)
        shapes = jax.eval_shape(f, *args)
        parts = shapes if isinstance(shapes, tuple) else (shapes,)
        outs = [Packing.of(p) for p in parts]

        def taken(buffers):
            unpacked, i = {}, 0
            for n in used:
                packing = self._sources[n][0]
                unpacked[n] = jax.tree.leaves(packing.unpack(buffers[i:i + len(packing.sizes)]))
                i += len(packing.sizes)
            others = iter(loose_packing.unpack(buffers[i:]))
            leaves = [unpacked[w[0]][w[1]] if w is not None else next(others) for w in where]
            result = f(*jax.tree.unflatten(treedef, leaves))
            result = result if isinstance(shapes, tuple) else (result,)
            return tuple(b for p, r in zip(outs, result) for b in p.pack(r))

        def never(buffers):
            return tuple(jnp.zeros(size, name) for p in outs for name, size in p.sizes)

        go = jax.lax.optimization_barrier(jnp.asarray(True))
        buffers = jax.lax.cond(go, taken, never, operands)
        trees, i = [], 0
        for p in outs:
            n = len(p.sizes)
            trees.append(self.bind(p.unpack(buffers[i:i + n]), p, buffers[i:i + n]))
            i += n
        return tuple(trees) if isinstance(shapes, tuple) else trees[0]
