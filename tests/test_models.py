"""Per-model classes: defaults equal brainmass's, generated file is current."""

import inspect

import brainmass
import brainunit as u
import numpy as np
import pytest

import brainestimators as be
from brainestimators import _codegen
from brainestimators._params import RESERVED
from brainestimators._specs import MODEL_SPECS, brainmass_name, model_parameters


def test_one_regressor_per_family():
    assert len(be.REGRESSORS) == len(MODEL_SPECS) >= 16
    for key in MODEL_SPECS:
        assert getattr(be, f"{key}Regressor") in be.REGRESSORS


@pytest.mark.parametrize("key", sorted(MODEL_SPECS))
def test_defaults_equal_brainmass(key):
    spec = MODEL_SPECS[key]
    est = getattr(be, f"{key}Regressor")()
    bm = inspect.signature(spec.cls.__init__).parameters
    params = model_parameters(spec)
    assert params, key
    for name in params:
        default = bm[brainmass_name(name)].default
        mine = est.get_params()[name]
        if isinstance(default, u.Quantity):
            default = float(np.asarray(default.mantissa))
        assert mine == pytest.approx(default), (key, name)
    # default bounds name real parameters, inside which the default fit starts
    for name, (lo, hi) in spec.bounds.items():
        assert name in params and lo < hi


def test_every_numeric_brainmass_parameter_is_exposed():
    for key, spec in MODEL_SPECS.items():
        est_params = set(getattr(be, f"{key}Regressor")().get_params())
        for name, p in inspect.signature(spec.cls.__init__).parameters.items():
            numeric = isinstance(p.default, (int, float, u.Quantity)) and not isinstance(p.default, bool)
            if numeric and not name.startswith(("init_", "noise_")) and not name.endswith("_init"):
                alias = name + "_node" if name in RESERVED else name
                assert alias in est_params, (key, name)


def test_generated_models_file_is_current():
    assert _codegen.TARGET.read_text() == _codegen.render(), (
        "run `python -m brainestimators._codegen`"
    )


def test_model_parameters_are_grid_searchable_by_name():
    est = be.WilsonCowanRegressor().set_params(wEE=15.0, tau_E=2.0)
    assert est.get_params()["wEE"] == 15.0
    from sklearn.base import clone

    assert clone(est).tau_E == 2.0


def test_coombes_byrne_local_k_does_not_shadow_global_coupling():
    est = be.CoombesByrneRegressor()
    assert est.get_params()["k_node"] == 1.0 and est.get_params()["k"] == 0.0


def test_generic_regressor_accepts_any_brainmass_class():
    rng = np.random.default_rng(0)
    est = be.NeuralMassRegressor(brainmass.WilsonCowanAdaptiveStep, bounds={"wEE": (5.0, 20.0)},
                                 max_iter=2, duration=1.0)
    est.fit(rng.normal(size=(4, 2)), rng.normal(size=4))
    assert est.predict(rng.normal(size=(3, 2))).shape == (3,)
