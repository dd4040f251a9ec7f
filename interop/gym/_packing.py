"""Pytrees packed into one flat buffer per dtype, so that a jitted call on them passes a handful of
buffers: on CPU each buffer of a call costs microseconds, more than a small environment step. The
buffers also go as one vector of 32-bit words (`to_words`), for a call that passes a single one."""

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

    def to_words(self, buffers) -> jax.Array:
        """The buffers as one uint32 vector: 32-bit values bit for bit, 64-bit ones as two words,
        booleans as a word each."""
        parts = [_as_words(name, b) for (name, _), b in zip(self.sizes, buffers)]
        return jnp.concatenate(parts) if len(parts) > 1 else parts[0]

    def from_words(self, words) -> tuple:
        """`to_words` undone (inside jit: slices and bit casts)."""
        buffers, start = [], 0
        for name, size in self.sizes:
            per = _words_per(name)
            w = words[start:start + size * per]
            if name == "bool":
                buffers.append(w != 0)
            else:
                buffers.append(jax.lax.bitcast_convert_type(w.reshape((size, per) if per > 1 else (size,)), jnp.dtype(name)))
            start += size * per
        return tuple(buffers)


def _as_words(name: str, buffer):
    """A buffer of dtype `name` as 32-bit words."""
    if name == "bool":
        return buffer.astype(jnp.uint32)
    n = buffer.size * _words_per(name)  # refuses the dtypes words do not hold
    return jax.lax.bitcast_convert_type(buffer, jnp.uint32).reshape(n)


def _words_per(name: str) -> int:
    """32-bit words per value of dtype `name` (a boolean takes a word)."""
    if name == "bool":
        return 1
    if np.dtype(name).itemsize not in (4, 8):
        raise TypeError(f"Words hold 32- and 64-bit values and booleans; got {name}.")
    return np.dtype(name).itemsize // 4
