"""The registries' one form, their shared lookup error, and a settings object as ``backend=``."""

import dataclasses

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.utils._param_validation import InvalidParameterError

import brainestimators as be
from brainestimators._backends import BACKENDS, Backend, get_backend, resolve_backend
from brainestimators._evaluator import READOUTS, get_readout
from brainestimators._maps import MAPS, VALUES, get_map, get_value
from brainestimators._network import COUPLINGS, get_coupling
from brainestimators._objectives import OBJECTIVES, get_objective
from brainestimators._observations import OBSERVATIONS, get_observation
from brainestimators._uncertainty import UNCERTAINTY, get_uncertainty

from _data import hopf_recordings

REGISTRIES = {
    "backend": (BACKENDS, get_backend),
    "objective": (OBJECTIVES, get_objective),
    "observation": (OBSERVATIONS, get_observation),
    "coupling": (COUPLINGS, get_coupling),
    "map": (MAPS, get_map),
    "value": (VALUES, get_value),
    "scorer": (OBJECTIVES, be.get_scorer),
    "readout": (READOUTS, get_readout),
    "uncertainty": (UNCERTAINTY, get_uncertainty),
}


@pytest.mark.parametrize("what", ["backend", "objective", "observation", "coupling", "map",
                                  "value", "readout", "uncertainty"])
def test_every_registry_maps_names_to_frozen_entries(what):
    registry, get = REGISTRIES[what]
    assert isinstance(registry, dict) and registry
    for name, entry in registry.items():
        assert dataclasses.is_dataclass(entry) and type(entry).__dataclass_params__.frozen
        assert entry.name == name and get(name) is entry
        with pytest.raises(dataclasses.FrozenInstanceError):
            entry.name = "other"


@pytest.mark.parametrize("what", list(REGISTRIES))
def test_an_unknown_name_gets_the_shared_error_naming_the_choices(what):
    registry, get = REGISTRIES[what]
    with pytest.raises(ValueError) as info:
        get("no_such_name")
    message = str(info.value)
    assert message.startswith(f"{what} must be one of {sorted(registry, key=str)}")
    assert message.endswith("got 'no_such_name'.")
    with pytest.raises(ValueError, match=f"{what} must be one of"):
        get(["unhashable"])


def test_backend_capabilities_are_documented_methods():
    for b in BACKENDS.values():
        assert isinstance(b, Backend) and type(b) is not Backend
        assert type(b).run is not Backend.run, f"{b.name} does not run"
        for name in ("gradient", "finite_bounds", "constraints", "candidates", "coerce", "run"):
            method = getattr(type(b), name)
            assert callable(method) and method.__doc__, (b.name, name)
    settings = be.Scipy("differential_evolution", popsize=4)
    scipy = BACKENDS["scipy"]
    assert scipy.finite_bounds(settings) and not scipy.gradient(settings)
    assert scipy.candidates(settings, 3) == 12
    assert BACKENDS["scipy"].constraints(be.Scipy("SLSQP"))
    assert BACKENDS["grad"].gradient(be.Optax()) and not BACKENDS["grad"].finite_bounds(be.Optax())
    assert BACKENDS["nevergrad"].candidates(be.Nevergrad(n_sample=5), 2) == 5


@pytest.mark.parametrize("settings", [be.Optax("sgd", 0.01), be.Nevergrad("DE", n_sample=4),
                                      be.Scipy("Nelder-Mead"), be.Evosax("CMA_ES", popsize=6)],
                         ids=lambda s: type(s).__name__)
def test_a_settings_object_names_its_backend(settings):
    backend, resolved = resolve_backend(settings)
    assert resolved is settings and backend.owns(settings)
    name_backend, same = resolve_backend(backend.name, settings)
    assert name_backend is backend and same is settings


def test_an_optax_transform_names_grad():
    import optax

    backend, settings = resolve_backend(optax.adam(0.1))
    assert backend.name == "grad" and settings.build() is not None


def test_backend_object_with_an_optimizer_is_refused():
    with pytest.raises(ValueError, match="optimizer must be None"):
        resolve_backend(be.Nevergrad("DE"), "DE")
    X = hopf_recordings(n_samples=1, n_time=40, n_regions=1)
    est = be.HopfRegressor(w=0.3, bounds={"a": (0.2, 1.5)}, max_iter=2,
                           backend=be.Optax("adam"), optimizer=be.Optax("sgd"))
    with pytest.raises(ValueError, match=r"backend=Optax\(\) names the backend \('grad'\)"):
        est.fit(X)


def test_an_optimizer_of_another_backend_names_both():
    with pytest.raises(TypeError, match="does not fit backend='grad': it holds the settings of "
                                        "backend='scipy'"):
        resolve_backend("grad", be.Scipy("Nelder-Mead"))
    with pytest.raises(ValueError, match="backend must be one of .* or a settings object"):
        resolve_backend(3.0)


def test_the_backend_parameter_takes_settings_objects():
    est = be.HopfRegressor(backend=be.Optax("adam", learning_rate=0.2))
    est._validate_params()
    assert est.get_params()["backend__learning_rate"] == 0.2
    est.set_params(backend__learning_rate=0.3)
    copy = clone(est)
    assert copy.backend is not est.backend and copy.backend.learning_rate == 0.3
    with pytest.raises(InvalidParameterError, match="'backend' parameter"):
        be.HopfRegressor(backend=3.0)._validate_params()


def test_backend_object_fits_like_its_name_and_optimizer():
    X = hopf_recordings(n_samples=1, n_time=60, n_regions=1)
    kw = dict(w=0.3, initial_state={"x": 0.5}, bounds={"a": (0.2, 1.5)}, init={"a": 0.3},
              max_iter=5, random_state=0)
    by_object = be.HopfRegressor(backend=be.Nevergrad("DE", n_sample=4), **kw).fit(X)
    by_name = be.HopfRegressor(backend="nevergrad", optimizer=be.Nevergrad("DE", n_sample=4),
                               **kw).fit(X)
    assert by_object.best_params_ == by_name.best_params_
    np.testing.assert_array_equal(by_object.history_, by_name.history_)
