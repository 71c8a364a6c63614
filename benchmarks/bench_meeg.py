"""Peak memory and time against EEG length: a 76-region network seen by 64 channels.

Each measurement runs in a fresh child process and reports its peak resident
set size (``resource.getrusage(RUSAGE_SELF).ru_maxrss``): imports, tracing,
compilation and the run all count.

- ``fit``: ``HopfRegressor(connectivity=TVB 76, dt=0.1, sample_dt=5 (200 Hz),
  observation='eeg', lead_field=load_head_model().lead_field (64 x 76),
  objective='log_psd', backend='nevergrad', optimizer={'method': 'DE',
  'n_sample': C}, max_iter=1).fit(X)`` on one epoch of the given length: one
  generation of C candidates in one vmapped call;
- ``brainmass``: brainmass's own ``Simulator`` running the same network (a
  ``HopfStep(76)`` with its diffusive coupling) once, recording
  ``EEGLeadFieldModel(L).update(x)`` every 50 steps (``sample_every``).

Time per candidate-step is wall time / (candidates x integration steps),
compilation included; ``warm`` rows rerun the same call in the same process.

Measured (2 shared cores, load 8): peak RSS fit 0.55 / 0.58 / 0.63 GB at
10 / 30 / 60 s, brainmass 0.53 / 0.58 / 0.67 GB; warm us per candidate-step
6.0 / 3.9 / 6.9 against brainmass 24 / 17 / 19.

Run: ``python benchmarks/bench_meeg.py [--seconds 10 30 60] [--candidates 4]
[--json out.json]`` (needs the ``meeg`` extra for the head model).
"""

import argparse
import json
import time

from _child import in_child, peak_rss_gb, report

DT, SAMPLE = 0.1, 5.0  # ms
HZ = 2 * 3.141592653589793 / 1000.0


def _head():
    import numpy as np

    from brainestimators.datasets import load_head_model

    h = load_head_model()
    return h, h.lead_field / np.abs(h.lead_field).max()


def child_fit(seconds, n_candidates):
    import numpy as np

    import brainestimators as be

    head, lead = _head()
    n_time = int(round(seconds * 1000 / SAMPLE))
    est = be.HopfRegressor(connectivity=head.sc, k=0.01, a=-0.01, w=10 * HZ, noise_sigma=0.02,
                           dt=DT, sample_dt=SAMPLE, observation="eeg", lead_field=lead,
                           objective="log_psd", bounds={"w": (5 * HZ, 15 * HZ)},
                           backend="nevergrad",
                           optimizer={"method": "DE", "n_sample": n_candidates}, max_iter=1,
                           random_state=0)
    X = np.random.default_rng(0).normal(size=(1, n_time, lead.shape[0]))
    t = time.perf_counter()
    est.fit(X)
    cold = time.perf_counter() - t
    t = time.perf_counter()
    est.fit(X)
    warm = time.perf_counter() - t
    steps = n_time * int(round(SAMPLE / DT))
    return {"cold_s": cold, "warm_s": warm, "steps": steps, "candidates": n_candidates,
            "us_per_candidate_step": 1e6 * warm / (steps * n_candidates)}


def child_brainmass(seconds):
    import brainmass
    import brainstate
    import brainunit as u
    import jax.numpy as jnp

    head, lead = _head()
    n = head.sc.shape[0]
    conn = jnp.asarray(head.sc, jnp.float32)

    class Net(brainstate.nn.Module):
        def __init__(self):
            super().__init__()
            self.node = brainmass.HopfStep(n, a=-0.01, w=10 * HZ,
                                           noise_x=brainmass.WhiteNoise(n, sigma=0.02),
                                           noise_y=brainmass.WhiteNoise(n, sigma=0.02))
            self.eeg = brainmass.EEGLeadFieldModel((n,), (lead.shape[0],),
                                                   jnp.asarray(lead.T) * u.mV / (u.nA * u.meter))

        def update(self):
            x, y = self.node.x.value, self.node.y.value
            cx = 0.01 * (conn @ x - conn.sum(1) * x)
            cy = 0.01 * (conn @ y - conn.sum(1) * y)
            return self.node(x_inp=cx, y_inp=cy)

    net = Net()
    sim = brainmass.Simulator(net, dt=DT * u.ms)
    every = int(round(SAMPLE / DT))
    monitor = lambda m: m.eeg.update(m.node.x.value * u.mV)  # noqa: E731
    t = time.perf_counter()
    out = sim.run(seconds * 1000 * u.ms, monitors=monitor, sample_every=every)
    jnp.asarray(u.get_magnitude(out["output"])).block_until_ready()
    cold = time.perf_counter() - t
    t = time.perf_counter()
    out = sim.run(seconds * 1000 * u.ms, monitors=monitor, sample_every=every)
    jnp.asarray(u.get_magnitude(out["output"])).block_until_ready()
    warm = time.perf_counter() - t
    steps = int(round(seconds * 1000 / DT))
    return {"cold_s": cold, "warm_s": warm, "steps": steps, "candidates": 1,
            "us_per_candidate_step": 1e6 * warm / steps,
            "samples": int(out["output"].shape[0])}


def measure(kind, seconds, n_candidates=1, timeout=3600):
    """Run one measurement in a fresh process; add its peak RSS (GB)."""
    return in_child(__file__, (kind, seconds, n_candidates), {"kind": kind, "seconds": seconds}, timeout)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, nargs="*", default=[10, 30, 60])
    p.add_argument("--candidates", type=int, default=4)
    p.add_argument("--json", default=None)
    p.add_argument("--child", nargs=3, default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        kind, seconds, c = args.child[0], float(args.child[1]), int(args.child[2])
        res = child_brainmass(seconds) if kind == "brainmass" else child_fit(seconds, c)
        res["peak_rss_gb"] = peak_rss_gb()
        print(json.dumps(res))
        return None
    rows = []
    for s in args.seconds:
        rows += [measure("fit", s, args.candidates), measure("brainmass", s)]
    print(f"Hopf, 76 TVB regions -> 64 EEG channels, dt {DT} ms, {1000 / SAMPLE:g} Hz "
          "(fresh process each)")
    print(f"{'run':<11}{'EEG s':>6}{'steps':>9}{'cand':>6}{'peak RSS GB':>13}{'cold s':>8}"
          f"{'warm s':>8}{'us/cand-step':>14}")
    for r in rows:
        if "error" in r:
            print(f"{r['kind']:<11}{r['seconds']:>6g}  failed: {r['error']}")
            continue
        print(f"{r['kind']:<11}{r['seconds']:>6g}{r['steps']:>9}{r['candidates']:>6}"
              f"{r['peak_rss_gb']:>13.2f}{r['cold_s']:>8.1f}{r['warm_s']:>8.1f}"
              f"{r['us_per_candidate_step']:>14.3f}")
    return report(rows, args.json)


if __name__ == "__main__":
    main()
