"""The block simulation loop: same model as a per-step loop, memory that follows samples."""

import time

import brainstate
import brainunit as u
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

import brainestimators as be
import brainestimators._simulation as sim_module
from brainestimators._config import default_compilation_cache, prune
from brainestimators._cost import (
    FitCostError, FitCostWarning, check_fit_cost, estimate_fit_cost,
)
from brainestimators._noise import standard_normals
from brainestimators._simulation import SimConfig, Loop, sample_steps, schedule, simulate

N = 4
_RNG = np.random.default_rng(0)
CONN = jnp.asarray(_RNG.uniform(0, 1, (N, N)) * (1 - np.eye(N)), jnp.float32)
DELAYS = _RNG.integers(0, 6, (N, N))
np.fill_diagonal(DELAYS, 0)


def stepwise(cfg, params, drive=None, key=None):
    """The previous loop: record every step, then keep the step nearest each sample."""
    loop = Loop(cfg, params, drive, jax.random.key(0) if key is None else key)

    def step(i):
        # the noise draws step i itself (KeyedWhiteNoise reads the step index)
        with brainstate.environ.context(i=i, t=i * loop.dt):
            loop.net.update(*(() if loop.inputs is None else (loop.inputs(i),)))
            loop.obs.update(loop.net.node)
        return u.get_magnitude(loop.obs.read(loop.net.node))

    with brainstate.environ.context(dt=loop.dt):
        rec = brainstate.transform.for_loop(step, np.arange(cfg.n_steps))
    return jnp.reshape(rec, (cfg.n_steps, cfg.n_regions))[sample_steps(cfg)]


def _wc(**kw):
    base = dict(model="WilsonCowan", n_regions=N, dt=0.1, coupling="diffusive", noise=True)
    base.update(kw)
    return SimConfig(**base)


def _params(**kw):
    p = {"noise_sigma": jnp.float32(0.02), "k": jnp.float32(0.5), "connectivity": CONN,
         "init:x": jnp.linspace(0.1, 0.4, N)}
    p.update(kw)
    return p


def _ratio_cfg(ratio, n_time, transient=0, **kw):
    n_steps = transient + int(round((n_time - 1) * ratio)) + 1
    return _wc(n_steps=n_steps, transient_steps=transient, sample_ratio=ratio, n_time=n_time, **kw)


CASES = {
    "integer": _wc(n_steps=200, sample_every=10),
    "integer+transient": _wc(n_steps=230, transient_steps=30, sample_every=20),
    "every step": _wc(n_steps=40),
    "non-integer (7.2)": _ratio_cfg(7.2, 23, transient=6),
    "non-integer+bold": _ratio_cfg(7.2, 17, transient=3, observation="bold"),
    "bold+delays": _wc(n_steps=300, transient_steps=50, sample_every=25, observation="bold",
                       delays=tuple(DELAYS.ravel().tolist())),
    "series drive": _wc(n_steps=150, sample_every=15, drive="series"),
    "noise-free": SimConfig(model="Hopf", n_regions=N, dt=0.1, n_steps=120, transient_steps=20,
                            sample_every=7, coupling="diffusive", initial=("x",)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_block_loop_equals_the_per_step_loop(name):
    cfg = CASES[name]
    drive = (jnp.asarray(_RNG.normal(size=(cfg.n_out, N)), jnp.float32)
             if cfg.drive == "series" else None)
    key = jax.random.key(3)
    got = np.asarray(jax.jit(lambda k: simulate(cfg, _params(), drive, k))(key))
    want = np.asarray(stepwise(cfg, _params(), drive, key))
    assert got.shape == (cfg.n_out, N)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6 * np.abs(want).max())
    assert np.all(np.isfinite(got)) and np.ptp(got) > 0


def test_non_periodic_sampling_uses_masked_blocks(monkeypatch):
    monkeypatch.setattr(sim_module, "MAX_GROUP", 2)  # 7.2 needs groups of 5
    cfg = _ratio_cfg(7.2, 13, transient=2)
    sim_module.schedule.cache_clear()
    try:
        plan = schedule(cfg)
        assert plan.gaps is not None and set(plan.gaps) == {7, 8}
        got = simulate(cfg, _params(), None, jax.random.key(1))
    finally:
        sim_module.schedule.cache_clear()
    want = stepwise(cfg, _params(), None, jax.random.key(1))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6 * float(jnp.abs(want).max()))


def test_schedule_groups_repeating_intervals():
    plan = schedule(_ratio_cfg(7.2, 1200, transient=6))
    assert plan.segments == (7, 7, 8, 7, 7) and sum(plan.segments) == 36
    assert plan.first == 7 and plan.groups * 5 + plan.tail == 1199
    plan = schedule(_wc(n_steps=8_640_000, sample_every=7200))
    assert plan.segments == (7200,) and plan.groups == 1199


def test_same_key_gives_bit_identical_output():
    cfg = CASES["non-integer (7.2)"]
    run = jax.jit(lambda k: simulate(cfg, _params(), None, k))
    a, c = run(jax.random.key(7)), run(jax.random.key(8))
    b = jax.jit(lambda k: simulate(cfg, _params(), None, k))(jax.random.key(7))  # recompiled
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert not np.allclose(np.asarray(a), np.asarray(c))


def test_noise_of_a_row_does_not_depend_on_its_batch_position():
    keys = jax.random.split(jax.random.key(0), 5)
    seeds = jax.vmap(lambda k: jax.random.bits(k, (2,), jnp.uint32))(keys)
    steps = jnp.arange(100, 140)
    batched = jax.jit(jax.vmap(lambda s: standard_normals(s, steps, N)))(seeds)
    for i in (0, 3):
        alone = jax.jit(lambda s: standard_normals(s, steps, N))(seeds[i])
        np.testing.assert_array_equal(np.asarray(batched[i]), np.asarray(alone))
    # a block of steps and the steps one at a time are the same draws (the
    # same bits; the float transform may round differently once vectorised)
    draw = jax.jit(lambda s: standard_normals(seeds[0], s, N))
    one = jnp.stack([draw(s) for s in steps[:3]])
    np.testing.assert_allclose(np.asarray(one), np.asarray(batched[0, :3]), rtol=1e-6, atol=1e-6)
    # a simulation's row: vmapped over keys, in any order, equals a single call
    cfg = CASES["integer+transient"]
    run = jax.jit(jax.vmap(lambda k: simulate(cfg, _params(), None, k)))
    rows = np.asarray(run(keys))
    rows_perm = np.asarray(run(keys[::-1]))
    single = np.asarray(jax.jit(lambda k: simulate(cfg, _params(), None, k))(keys[2]))
    np.testing.assert_allclose(rows[2], single, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(rows_perm[::-1], rows, rtol=1e-6, atol=1e-7)


def test_candidates_sharing_a_key_share_its_noise():
    cfg = CASES["integer"]
    ks = jnp.array([0.2, 0.5, 0.5, 0.9], jnp.float32)
    out = jax.jit(jax.vmap(lambda k: simulate(cfg, _params(k=k), None, jax.random.key(1))))(ks)
    np.testing.assert_allclose(out[1], out[2], rtol=1e-6)
    assert not np.allclose(out[0], out[1])


def test_standard_normals_are_standard_normal():
    seed = jnp.array([12345, 678], jnp.uint32)
    z = np.asarray(standard_normals(seed, jnp.arange(2000), 100)).ravel()
    assert abs(z.mean()) < 0.01 and abs(z.std() - 1) < 0.01
    assert stats.kstest(z, "norm").pvalue > 1e-3
    lag = np.asarray(standard_normals(seed, jnp.arange(2000), 100))
    assert abs(np.corrcoef(lag[1:, 0], lag[:-1, 0])[0, 1]) < 0.1  # steps independent
    assert abs(np.corrcoef(lag[:, 0], lag[:, 1])[0, 1]) < 0.1  # regions independent


def test_gradient_through_checkpointed_blocks_equals_plain_gradient(monkeypatch):
    monkeypatch.setattr(sim_module, "CHUNK", 16)  # chunked stretches and groups
    cfg = SimConfig(model="Linear", n_regions=N, dt=0.1, n_steps=120, transient_steps=37,
                    sample_every=20, coupling="diffusive", noise=True)

    def loss(k):
        return jnp.sum(simulate(cfg, _params(k=k), None, jax.random.key(2)) ** 2)

    with_remat = jax.grad(loss)(jnp.float32(0.4))
    monkeypatch.setattr(sim_module, "_remat", lambda fn: fn)
    plain = jax.grad(loss)(jnp.float32(0.4))
    assert np.isfinite(float(plain)) and float(plain) != 0.0
    np.testing.assert_allclose(float(with_remat), float(plain), rtol=1e-4)


def test_memory_follows_samples_not_steps():
    # the same kept samples with ten times the steps between them: the same
    # working memory, forward (WC + BOLD) and gradient (a one-state model,
    # to keep the test fast); blocks are longer than a chunk
    def temp_bytes(every, grad):
        model, obs = ("Linear", None) if grad else ("WilsonCowan", "bold")
        cfg = SimConfig(model=model, n_regions=N, dt=0.1, n_steps=5 * every, sample_every=every,
                        coupling="diffusive", noise=True, observation=obs)

        def f(k):
            return jnp.sum(simulate(cfg, _params(k=k), None, jax.random.key(0)))

        fn = jax.grad(f) if grad else f
        return jax.jit(fn).lower(jnp.float32(0.5)).compile().memory_analysis().temp_size_in_bytes

    for grad in (False, True):
        short, long = temp_bytes(2_000, grad), temp_bytes(20_000, grad)
        assert long <= 1.2 * short + 2**12, (grad, short, long)


# -- the cost guard ----------------------------------------------------------
def _gw_config():
    return SimConfig(model="Hopf", n_regions=94, n_steps=20000 * 354 + 1, dt=0.1,
                     sample_every=20000, coupling="diffusive", noise=True)


def test_cost_guard_warns_about_the_gw_case_within_a_second():
    params = {"a": np.float32(0.25), "w": np.float32(0.2)}
    t = time.perf_counter()
    with pytest.warns(FitCostWarning) as rec:
        cost = check_fit_cost(_gw_config(), n_candidates=6, n_evaluations=100, params=params)
    assert time.perf_counter() - t < 1.0
    msg = str(rec[0].message)
    assert "20000 steps per sample" in msg and "7.08 M steps" in msg
    assert "dt=0.4 ms" in msg and "max_iter" in msg
    assert cost.steps == 20000 * 354 + 1 and cost.simulations == 6
    assert cost.seconds > 600


def test_cost_estimate_grows_with_the_candidates_evaluated_at_once():
    # 16 candidates simulate 16 times what 1 does: steps and the per-simulation
    # memory and time scale by 16 (the noise, shared by a row's candidates, does not)
    one, two, many = (estimate_fit_cost(_gw_config(), n_candidates=n) for n in (1, 2, 16))
    assert (one.simulations, many.simulations) == (1, 16)
    assert many.candidate_steps == 16 * one.candidate_steps
    assert many.bytes - one.bytes == 15 * (two.bytes - one.bytes) > 0
    assert many.seconds - one.seconds == pytest.approx(15 * (two.seconds - one.seconds))
    assert many.bytes > 4 * one.bytes and many.seconds > 4 * one.seconds


def test_cost_guard_warns_when_dt_is_far_finer_than_the_time_scale():
    cfg = SimConfig(model="Hopf", n_regions=2, n_steps=200_001, dt=0.1, sample_every=1000)
    with pytest.warns(FitCostWarning, match="times finer than Hopf's time scale"):
        check_fit_cost(cfg, params={"a": 0.001, "w": 0.002})  # 500 ms: dt=50 ms is enough


def test_cost_guard_refuses_a_fit_that_does_not_fit_in_memory():
    with pytest.raises(FitCostError, match="free"):
        check_fit_cost(_gw_config(), n_candidates=6, available=2**20)
    with pytest.raises(ValueError, match="step counter"):
        check_fit_cost(SimConfig(model="Hopf", n_regions=2, n_steps=2**31 + 2, dt=0.1,
                                 sample_every=2**31))


def test_gradient_memory_estimate_is_bounded_by_blocks():
    cfg = SimConfig(model="WilsonCowan", n_regions=80, n_steps=8_640_000, dt=0.1,
                    sample_ratio=7200.0, n_time=1200, coupling="diffusive", noise=True,
                    observation="bold")
    fwd = estimate_fit_cost(cfg, n_candidates=16)
    grad = estimate_fit_cost(cfg, gradient=True)
    assert fwd.bytes < 2**28 and grad.bytes < 2**28
    assert estimate_fit_cost(cfg, n_candidates=16).seconds > estimate_fit_cost(cfg).seconds


def test_fit_calls_the_cost_guard_before_compiling(monkeypatch):
    import brainestimators._cost as cost_module

    monkeypatch.setattr(cost_module, "available_memory", lambda: 1)
    X = np.zeros((1, 20, 1))
    before = be.cache_info()
    with pytest.raises(FitCostError):
        be.HopfRegressor(bounds={"a": (0.1, 1.0)}, max_iter=1).fit(X)
    after = be.cache_info()  # nothing traced, no evaluator built
    assert (after["evaluators"], after["traces"]) == (before["evaluators"], before["traces"])


# -- the compilation cache ---------------------------------------------------
def test_compilation_cache_respects_opt_out_and_an_existing_directory(monkeypatch, tmp_path):
    old = jax.config.jax_compilation_cache_dir
    try:
        monkeypatch.setenv("BRAINESTIMATORS_CACHE", "off")
        assert default_compilation_cache() is None
        monkeypatch.delenv("BRAINESTIMATORS_CACHE")
        jax.config.update("jax_compilation_cache_dir", str(tmp_path / "mine"))
        assert default_compilation_cache() is None  # the user's directory stays
        assert jax.config.jax_compilation_cache_dir == str(tmp_path / "mine")
        jax.config.update("jax_compilation_cache_dir", None)
        monkeypatch.setenv("BRAINESTIMATORS_CACHE", str(tmp_path / "be"))
        assert default_compilation_cache() == str(tmp_path / "be")
        assert jax.config.jax_compilation_cache_dir == str(tmp_path / "be")
    finally:
        jax.config.update("jax_compilation_cache_dir", old)


def test_prune_keeps_the_most_recently_used_entries(tmp_path):
    import os

    names = [f"jit_f-{i:064x}-cache" for i in range(5)]  # JAX's entry names
    for i, name in enumerate(names):
        f = tmp_path / name
        f.write_bytes(b"x" * 1000)
        os.utime(f, (1000 + i, 1000 + i))
    assert prune(str(tmp_path), 2500) <= 2500
    assert sorted(p.name for p in tmp_path.iterdir()) == names[3:]
