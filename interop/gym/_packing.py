"""Pytrees packed into one flat buffer per dtype, so that a jitted call on them passes a handful of
buffers: on CPU each buffer of a call costs microseconds, more than a small environment step."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np


@dataclasses.dataclass(frozen=True)
class Packing:
    """How a pytree's leaves sit in its per-dtype buffers (hashable: a static jit argument)."""

    treedef: object
    leaves: tuple  # (dtype name, offset, shape) of each leaf
    sizes: tuple  # (dtype name, total size) of each buffer

    @classmethod
    def of(cls, tree) -> "Packing":
        shapes = jax.eval_shape(lambda t: t, tree)
        flat, treedef = jax.tree.flatten(shapes)
        offsets: dict[str, int] = {}
        leaves = []
        for leaf in flat:
            name = np.dtype(leaf.dtype).name
            start = offsets.get(name, 0)
            leaves.append((name, start, tuple(leaf.shape)))
            offsets[name] = start + int(np.prod(leaf.shape, dtype=np.int64))
        return cls(treedef, tuple(leaves), tuple(offsets.items()))

    def pack(self, tree) -> tuple:
        """The buffers (one per dtype, in `sizes` order)."""
        groups: dict[str, list] = {name: [] for name, _ in self.sizes}
        for (name, _, _), leaf in zip(self.leaves, jax.tree.leaves(tree)):
            groups[name].append(jnp.ravel(leaf))
        return tuple(jnp.concatenate(groups[name]) if len(groups[name]) > 1 else groups[name][0] for name, _ in self.sizes)

    def unpack(self, buffers):
        """The pytree back from its buffers (inside jit: slices and reshapes)."""
        by_name = {name: b for (name, _), b in zip(self.sizes, buffers)}
        leaves = [by_name[name][start:start + int(np.prod(shape, dtype=np.int64))].reshape(shape)
                  for name, start, shape in self.leaves]
        return jax.tree.unflatten(self.treedef, leaves)
