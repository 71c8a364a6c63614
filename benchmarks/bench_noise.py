"""Cost of the simulation's Gaussian noise: generators and block sizes, one run.

An Euler-Maruyama step needs one standard normal per noisy state: sixteen
independent 80-region Hopf runs of 8640 steps (``bench_wholebrain.py``'s
batched case) need 16 x 8640 x 2 x 80 = 22.1 M of them. Each generator below
draws exactly that many, in blocks of ``--block`` steps inside a compiled
``lax.scan`` (as the simulation loop draws them) or as one table up front
(the previous scheme):

- ``jax.random.normal`` with JAX's default key (Threefry-2x32-20, partitionable
  counters), and with the ``rbg`` / ``unsafe_rbg`` implementations;
- this package's generator (``brainestimators._noise.standard_normals``): the
  same Threefry-2x32-20 cipher on a ``(step, region)`` counter, written out in
  ``jax.numpy``, then Box-Muller; also its raw bits alone.

Reported per value: wall time and process CPU time (the CPU time is the
better figure on a shared machine). Run: ``python benchmarks/bench_noise.py
[--block 36] [--repeats 5]``.
"""

import argparse
import json
import time

import jax
import jax.numpy as jnp
from jax import lax

from brainestimators._noise import noise_seed, standard_normals, threefry2x32

N_SIM, N_STEPS, N_SLOTS, N_REGIONS = 16, 8640, 2, 80


def _time(fn, arg, repeats):
    jax.block_until_ready(fn(arg))
    wall, cpu = [], []
    for _ in range(repeats):
        t, c = time.perf_counter(), time.process_time()
        jax.block_until_ready(fn(arg))
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return min(wall), min(cpu)


def blocked(draw, block):
    """16 keys x all steps, drawn ``block`` steps at a time inside a scan; summed."""
    n_blocks = N_STEPS // block

    def one(key):
        def body(acc, b):
            z = draw(key, b * block + jnp.arange(block, dtype=jnp.int32))
            return acc + z.sum(axis=0), None

        return lax.scan(body, jnp.zeros((N_SLOTS, N_REGIONS)), jnp.arange(n_blocks))[0]

    return jax.jit(jax.vmap(one))


def main(block=36, repeats=5):
    keys = jax.random.split(jax.random.key(0), N_SIM)
    n_values = N_SIM * (N_STEPS // block) * block * N_SLOTS * N_REGIONS

    def jax_normal(impl):
        def draw(key, steps):
            k = jax.random.fold_in(key, steps[0])
            return jax.random.normal(k, (N_SLOTS, steps.shape[0], N_REGIONS)).transpose(1, 0, 2)

        def with_impl(keys):
            raw = jax.random.key_data(keys)[:, :1]
            ks = jax.vmap(lambda r: jax.random.key(r[0], impl=impl))(raw)
            return blocked(draw, block)(ks)

        return with_impl

    def ours(key, steps):
        return jnp.stack([standard_normals(noise_seed(key, j), steps, N_REGIONS)
                          for j in range(N_SLOTS)], axis=1)

    def ours_bits(key, steps):
        out = []
        for j in range(N_SLOTS):
            b0, _ = threefry2x32(noise_seed(key, j), steps.astype(jnp.uint32)[:, None],
                                 lax.iota(jnp.uint32, N_REGIONS))
            out.append(b0.astype(jnp.float32))
        return jnp.stack(out, axis=1)

    @jax.jit
    def table(keys):  # the previous scheme: one whole-run table per slot up front
        return jax.vmap(lambda k: jax.random.normal(k, (N_STEPS, N_SLOTS, N_REGIONS)).sum(0))(keys)

    rows = {
        "jax.random.normal, whole table": (table, keys),
        f"jax.random.normal threefry, blocks of {block}": (jax_normal("threefry2x32"), keys),
        f"jax.random.normal rbg, blocks of {block}": (jax_normal("rbg"), keys),
        f"jax.random.normal unsafe_rbg, blocks of {block}": (jax_normal("unsafe_rbg"), keys),
        f"brainestimators (Threefry + Box-Muller), blocks of {block}": (blocked(ours, block), keys),
        f"brainestimators bits only, blocks of {block}": (blocked(ours_bits, block), keys),
    }
    out = {}
    print(f"{N_SIM} x {N_STEPS} steps x {N_SLOTS} slots x {N_REGIONS} regions = "
          f"{n_values / 1e6:.1f} M normals; backend {jax.default_backend()}")
    for name, (fn, arg) in rows.items():
        wall, cpu = _time(fn, arg, repeats)
        n = N_SIM * N_STEPS * N_SLOTS * N_REGIONS if "whole" in name else n_values
        out[name] = {"wall_ns_per_value": 1e9 * wall / n, "cpu_ns_per_value": 1e9 * cpu / n}
        print(f"  {name:<58} {1e9 * wall / n:7.2f} ns wall  {1e9 * cpu / n:7.2f} ns CPU per value",
              flush=True)
    print(json.dumps(out))
    return out


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--block", type=int, default=36)
    p.add_argument("--repeats", type=int, default=5)
    a = p.parse_args()
    main(a.block, a.repeats)
