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
# No intersphinx: the CI builders (and this project's machines) have no
# network access to fetch other projects' inventories.
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "auto_examples/*.ipynb",
                    "auto_examples/*.py", "auto_examples/*.zip"]
root_doc = "index"
default_role = "literal"  # `x` renders as code instead of an ambiguous reference
add_module_names = False
pygments_style = "sphinx"

# -- autodoc / autosummary ---------------------------------------------------
autosummary_generate = True  # stubs under docs/gen_modules/ (git-ignored)
autosummary_imported_members = False
autodoc_member_order = "groupwise"
autodoc_typehints = "none"
autodoc_default_options = {"members": False}  # members are chosen per template
autoclass_content = "class"

# -- numpydoc ----------------------------------------------------------------
# The regressors' docstrings are assembled from shared sections
# (brainestimators/_docs.py); numpydoc renders them, autodoc lists members.
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
    "plot_gallery": os.environ.get("SPHINX_GALLERY_PLOT", "True"),
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

# -- API completeness --------------------------------------------------------
# Every name in these modules' __all__ must be listed in an autosummary block
# of api.rst, under the matching ``.. module::`` / ``.. currentmodule::``.
# Add new public modules here (e.g. "brainestimators.plotting").
API_MODULES = ("brainestimators", "brainestimators.datasets")


def _documented_names(rst):
    """``module.name`` for every entry of an autosummary block in ``rst``."""
    names, module, in_block = set(), None, False
    for line in Path(rst).read_text().splitlines():
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
            location=str(HERE / "api.rst"))


# scikit-learn plumbing inherited by every estimator. Its docstrings refer to
# scikit-learn's own user guide and glossary (``:ref:`metadata_routing```,
# ``:term:`meta-estimator```), which do not exist here (unresolved references
# are warnings), and none of it is specific to this package.
SKIPPED_INHERITED = re.compile(r"^(get_metadata_routing|set_output|set_\w+_request)$")


def _skip_member(app, what, name, obj, skip, options):
    if what == "class" and SKIPPED_INHERITED.match(name):
        return True
    return None  # autodoc's default


def setup(app):
    app.connect("builder-inited", _check_api)
    app.connect("autodoc-skip-member", _skip_member)


if __name__ == "__main__":  # python docs/conf.py: check api.rst without building
    missing = missing_from_api()
    print("\n".join(missing) or "api.rst lists every public name")
    sys.exit(1 if missing else 0)
