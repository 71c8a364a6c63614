"""Sphinx configuration of the brainestimators documentation.

Build (as CI does, warnings are errors)::

    python -m sphinx -W --keep-going -j 1 -b html docs docs/_build/html

The gallery executes every ``examples/plot_*.py``; ``SPHINX_GALLERY_PLOT=0``
in the environment builds the docs without running them (quick local edits).
"""

import os
import re
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # examples run headless

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # document the checkout, installed or not

import brainestimators  # noqa: E402

# -- project -----------------------------------------------------------------
project = "brainestimators"
author = "brainestimators developers"
copyright = "brainestimators developers"
release = brainestimators.__version__
version = ".".join(release.split(".")[:2])

# -- extensions --------------------------------------------------------------
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

# intersphinx is off: CI (and this project's machines) cannot fetch other
# projects' inventories, and a failed fetch is a warning, i.e. an error under
# -W. DOCS_INTERSPHINX=1 turns it on where the network is available.
if os.environ.get("DOCS_INTERSPHINX") == "1":
    extensions.append("sphinx.ext.intersphinx")
    intersphinx_mapping = {
        "python": ("https://docs.python.org/3", None),
        "numpy": ("https://numpy.org/doc/stable", None),
        "scipy": ("https://docs.scipy.org/doc/scipy", None),
        "sklearn": ("https://scikit-learn.org/stable", None),
        "jax": ("https://docs.jax.dev/en/latest", None),
        "matplotlib": ("https://matplotlib.org/stable", None),
    }

templates_path = ["_templates"]
exclude_patterns = ["_build", "_generated", "_generated_*", "Thumbs.db", ".DS_Store", "auto_examples/*.ipynb",
                    "auto_examples/*.py", "auto_examples/*.zip"]
root_doc = "index"
default_role = "literal"  # `x` renders as code instead of an ambiguous reference
add_module_names = False
pygments_style = "sphinx"

# -- autodoc / autosummary ---------------------------------------------------
# stubs under docs/gen_modules/ (git-ignored); the generated settings page is
# included by api.rst, so it is named here to be scanned too
autosummary_generate = ["api.rst", "_generated_settings_api.rst"]
autosummary_imported_members = False
autodoc_member_order = "groupwise"
autodoc_typehints = "none"
autoclass_content = "class"

# -- numpydoc ----------------------------------------------------------------
# The regressors' docstrings are assembled from the shared parameter table
# (brainestimators/_params.py); numpydoc renders them, autodoc lists members.
numpydoc_show_class_members = False
numpydoc_show_inherited_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False
numpydoc_validation_checks = set()  # validation is off; style is reviewed in code

# -- sphinx-gallery ----------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",  # execute every plot_*.py
    "ignore_pattern": r"__init__\.py",
    "plot_gallery": os.environ.get("SPHINX_GALLERY_PLOT", "1") != "0",
    "within_subsection_order": "FileNameSortKey",
    "doc_module": ("brainestimators",),
    "backreferences_dir": "gen_modules/backreferences",
    "image_scrapers": ("matplotlib",),
    "remove_config_comments": True,
    "abort_on_example_error": False,
    "only_warn_on_example_error": False,
    "show_memory": False,
    "download_all_examples": False,
    "write_computation_times": False,  # no sg_execution_times.rst in docs/
}

# -- HTML --------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"brainestimators {release}"
html_static_path = []
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_sidebars = {"index": []}
html_show_sourcelink = False

# -- pages read off the registries -------------------------------------------
# The backend table of the user guide and the settings classes of the API
# reference are written from brainestimators.BACKENDS, so a new backend (one
# module plus one registry line) shows up without editing the docs.
GENERATED = HERE / "_generated"


def _settings_default(backend):
    settings = backend.settings()
    shown = {k: v for k, v in settings.get_params().items() if v is not None}
    args = ", ".join(f"{k}={v!r}" for k, v in shown.items())
    return f"``{type(settings).__name__}({args})``"


def write_generated():
    GENERATED.mkdir(exist_ok=True)
    rows = [".. list-table::", "   :header-rows: 1", "   :widths: 12 30 30 28", "",
            "   * - ``backend``", "     - what it does", "     - ``max_iter`` counts",
            "     - default ``optimizer``"]
    for b in brainestimators.BACKENDS.values():
        extra = f" (needs ``pip install \"brainestimators[{b.extra}]\"``)" if b.extra else ""
        rows += [f"   * - ``'{b.name}'``", f"     - {b.summary}{extra}", f"     - {b.max_iter}",
                 f"     - :class:`~brainestimators.{b.settings.__name__}`: {_settings_default(b)}"]
    (GENERATED / "backends_table.rst").write_text("\n".join(rows) + "\n")
    names = [b.settings.__name__ for b in brainestimators.BACKENDS.values()]
    # next to api.rst, which includes it: autosummary's toctree paths are
    # relative to the file that holds the directive
    (HERE / "_generated_settings_api.rst").write_text("\n".join(
        [".. currentmodule:: brainestimators", "", ".. autosummary::",
         "   :toctree: gen_modules/", "   :nosignatures:", ""]
        + [f"   {n}" for n in names]) + "\n")


write_generated()

# -- API completeness --------------------------------------------------------
# Every name in these modules' __all__ must be listed in an autosummary block
# of api.rst, under the matching ``.. module::`` / ``.. currentmodule::``.
# Add new public modules here (e.g. "brainestimators.plotting").
API_MODULES = ("brainestimators", "brainestimators.datasets", "brainestimators.preprocessing",
               "brainestimators.plotting", "brainestimators.meeg")


def _documented_names(rst):
    """``module.name`` for every entry of an autosummary block in ``rst``."""
    names, module, in_block = set(), None, False
    lines = []
    for line in Path(rst).read_text().splitlines():  # follow includes of generated pages
        inc = re.match(r"\.\. include:: (\S+)", line)
        lines += (Path(rst).parent / inc.group(1)).read_text().splitlines() if inc else [line]
    for line in lines:
        m = re.match(r"\.\. (?:current)?module:: (\S+)", line)
        if m:
            module, in_block = m.group(1), False
            continue
        if re.match(r"\.\. autosummary::", line):
            in_block = True
            continue
        if in_block:
            if line and not line[0].isspace():
                in_block = False
                continue
            entry = line.strip()
            if entry and not entry.startswith(":"):
                names.add(f"{module}.{entry.lstrip('~')}")
    return names


def missing_from_api(rst=HERE / "api.rst", modules=API_MODULES):
    """Public names of ``modules`` that ``rst`` does not list."""
    import importlib

    documented = _documented_names(rst)
    return sorted(
        f"{mod}.{name}"
        for mod in modules
        for name in getattr(importlib.import_module(mod), "__all__", ())
        if f"{mod}.{name}" not in documented
    )


def _check_api(app):
    from sphinx.util import logging

    for name in missing_from_api():
        logging.getLogger(__name__).warning(
            "%s is public (in __all__) but not listed in api.rst", name,
            location="api")


# scikit-learn plumbing inherited by every estimator. Its docstrings refer to
# scikit-learn's own user guide and glossary (``:ref:`metadata_routing```,
# ``:term:`meta-estimator```), which do not exist here (unresolved references
# are warnings), and none of it is specific to this package.
SKIPPED_INHERITED = re.compile(r"^(get_metadata_routing|set_output|set_\w+_request)$")


def _skip_member(app, what, name, obj, skip, options):
    if what == "class" and SKIPPED_INHERITED.match(name):
        return True
    return None  # autodoc's default


# Descriptions of public constants. autodoc reads a constant's description from
# a ``#:`` comment above its assignment in the module that exports it; a
# constant without one (or re-exported by an import) would show its type's
# docstring ("Built-in immutable sequence.") instead, so these are used in
# that case only. A ``#:`` comment in the package takes precedence.
DATA_DOCS = {
    "brainestimators.REGRESSORS": (
        "Every per-model regressor class, as a tuple in the order of the API "
        "reference (:class:`NeuralMassRegressor` is not included)."
    ),
    "brainestimators.OBJECTIVES": (
        "The named objectives, ``{name: Objective}``: each carries its loss "
        "``loss(prediction, target) -> scalar``, its score sign (a similarity "
        "scores ``1 - loss``, a distance ``-loss``) and the fewest regions and "
        "time points with which data can move it (checked by "
        ":meth:`Objective.validate` before a fit compiles). Any name can be "
        "passed as ``objective=``: "
        + ", ".join(
            f"``'{k}'`` ({'similarity' if o.similarity else 'distance'}, "
            f"{o.min_regions}+ regions, {o.min_time}+ time points)"
            for k, o in sorted(getattr(brainestimators, "OBJECTIVES", {}).items()))
        + "."
    ),
}


def _data_docstring(app, what, name, obj, options, lines):
    if what != "data":
        return
    import inspect

    own = [line.strip() for line in lines if line.strip()]
    inherited = [line.strip() for line in (inspect.getdoc(type(obj)) or "").splitlines()
                 if line.strip()]
    if (not own or own == inherited) and name in DATA_DOCS:
        lines[:] = [DATA_DOCS[name], ""]


def _class_signature(app, what, name, obj, options, signature, return_annotation):
    # brainstate modules (KeyedWhiteNoise) are built by a metaclass whose
    # __call__ takes (*args, **kwargs), which autodoc shows instead of
    # __init__'s parameters.
    if what != "class" or signature != "(*args, **kwargs)":
        return None
    import inspect

    try:
        sig = inspect.signature(obj.__init__)
    except (TypeError, ValueError):
        return None
    params = list(sig.parameters.values())[1:]  # drop self
    return str(sig.replace(parameters=params, return_annotation=sig.empty)), None


def setup(app):
    app.connect("builder-inited", _check_api)
    app.connect("autodoc-skip-member", _skip_member)
    app.connect("autodoc-process-signature", _class_signature)
    app.connect("autodoc-process-docstring", _data_docstring, priority=100)  # before numpydoc


if __name__ == "__main__":  # python docs/conf.py: check api.rst without building
    missing = missing_from_api()
    print("\n".join(missing) or "api.rst lists every public name")
    sys.exit(1 if missing else 0)
