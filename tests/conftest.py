# x64 for every test; optnet is imported inside the tests so that the jaxtyping import hook
# (--jaxtyping-packages=optnet,interop,beartype.beartype) instruments it first.
import jax

jax.config.update("jax_enable_x64", True)
