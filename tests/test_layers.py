"""The package's imports point down its layers, deferred ones included.

The layers are listed once, in CONTRIBUTING.md's ``layers`` block (bottom
first); this test reads them there. Every ``import`` / ``from ... import`` in
every module of ``brainestimators`` (function-level ones too) is parsed; an
import of a module in a higher layer, an import cycle, or a private name
(``_name``) imported from another module fails.
"""

import ast
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "brainestimators"


def read_layers(text=None):
    """``[(layer name, [module patterns])]`` from CONTRIBUTING.md, bottom first."""
    text = (ROOT / "CONTRIBUTING.md").read_text() if text is None else text
    block = re.search(r"```text layers\n(.*?)```", text, re.S)
    assert block, "CONTRIBUTING.md has no ```text layers block"
    layers = []
    for line in block.group(1).splitlines():
        if not line.strip() or line.lstrip().startswith(("#", "^", "|")):
            continue
        name, _, mods = line.partition(":")
        layers.append((name.strip(), mods.split()))
    return layers[::-1]  # drawn top first


def module_name(path):
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules():
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def layer_of(module, layers):
    """Index of the layer holding ``module`` (patterns: ``_x``, ``datasets.*``)."""
    short = module.split(".", 1)[1] if "." in module else "__init__"
    for i, (_, patterns) in enumerate(layers):
        for pat in patterns:
            if pat.endswith(".*") and (short == pat[:-2] or short.startswith(pat[:-1])):
                return i
            if short == pat:
                return i
    return None


def imports(path, module):
    """``(line, imported module, names)`` of every package import in ``path``."""
    tree = ast.parse(path.read_text())
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("brainestimators"):
                continue
            names = [a.name for a in node.names]
            if node.module is None or target in modules() and all(
                    f"{target}.{n}" in modules() for n in names):
                # ``from . import x``: the submodules themselves
                for n in names:
                    sub = f"{target}.{n}"
                    out.append((node.lineno, sub if sub in modules() else target, [n]))
            else:
                out.append((node.lineno, target, names))
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("brainestimators"):
                    out.append((node.lineno, a.name, []))
    return out


def import_graph():
    mods = modules()
    return {m: imports(p, m) for m, p in mods.items()}


def violations(layers, graph):
    """Upward imports, unlisted modules and private names imported across modules."""
    problems = []
    for module, edges in graph.items():
        here = layer_of(module, layers)
        if here is None:
            problems.append(f"{module}: in no layer of CONTRIBUTING.md")
            continue
        for line, target, names in edges:
            if target == module:
                continue
            there = layer_of(target, layers)
            if there is not None and there > here:
                problems.append(f"{module}:{line} imports {target} ({layers[there][0]}) from the "
                                f"lower layer {layers[here][0]}")
            private = [n for n in names if n.startswith("_") and not n.startswith("__")]
            if private and target != "brainestimators":
                problems.append(f"{module}:{line} imports private {private} from {target}")
    return problems


def cycles(graph):
    """Strongly connected components of more than one module."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]
    edges = {m: {t for _, t, _ in e if t in graph and t != m} for m, e in graph.items()}

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in edges:
        if v not in index:
            visit(v)
    return out


def test_imports_point_down():
    assert violations(read_layers(), import_graph()) == []


def test_no_import_cycle():
    assert cycles(import_graph()) == []


def test_a_planted_upward_import_fails():
    graph = import_graph()
    before = set(violations(read_layers(), graph))
    graph["brainestimators._metrics"] = graph["brainestimators._metrics"] + [
        (1, "brainestimators._base", ["BaseNeuralMassRegressor"])]
    found = set(violations(read_layers(), graph)) - before
    assert len(found) == 1 and "_metrics:1 imports brainestimators._base" in found.pop()


def test_a_planted_deferred_private_import_fails(tmp_path):
    src = "def f():\n    from ._plan import _fixed\n    return _fixed\n"
    path = tmp_path / "x.py"
    path.write_text(src)
    edges = imports(path, "brainestimators._metrics")
    assert edges == [(2, "brainestimators._plan", ["_fixed"])]
    found = violations(read_layers(), {"brainestimators._metrics": edges})
    assert any("private ['_fixed']" in p for p in found)
    assert any("from the lower layer" in p for p in found)


def test_a_planted_cycle_fails():
    graph = {"a": [(1, "b", [])], "b": [(1, "a", [])], "c": []}
    assert cycles(graph) == [["a", "b"]]


@pytest.mark.parametrize("module", sorted(modules()))
def test_every_module_has_a_layer(module):
    assert layer_of(module, read_layers()) is not None, (
        f"{module} is in no layer: add it to CONTRIBUTING.md's layers block")


def setup_entries(est, X):
    """``{module: entries}`` of setting up ``est.fit(X)``, from ``fit`` to the backend's ``run``.

    ``est`` is fitted once first, so that compiling the evaluator (which runs
    the model's code under JAX's tracer) is not counted. An entry is a
    function of one module calling into another module; the calls one
    function makes into the same module count once (a loop over values is
    one visit). A subpackage (``_backends/``) counts as one module: its
    classes call their base classes' methods across its files. Property
    reads of frozen values (and what runs inside them) and calls from
    library or generated code (scikit-learn reading the tags, a dataclass
    ``__init__``) are not entries.
    """
    import collections
    import inspect
    import os
    import sys

    import brainestimators

    root = os.path.dirname(brainestimators.__file__)
    props = {v.fget.__code__ for m in list(sys.modules.values())
             if getattr(m, "__name__", "").startswith("brainestimators")
             for c in vars(m).values() if inspect.isclass(c)
             for v in vars(c).values() if isinstance(v, property) and v.fget is not None}

    def module(code):
        f = code.co_filename
        if not f.startswith(root):
            return None
        rel = os.path.relpath(f, root)
        return rel.split(os.sep)[0] + os.sep if os.sep in rel and not rel.startswith(
            "datasets") else rel

    seen, counts, done = set(), collections.Counter(), [False]

    def profile(frame, event, arg):
        if event != "call" or done[0] or frame.f_code in props:
            return
        here = module(frame.f_code)
        if here is None:
            return
        if frame.f_code.co_name == "run" and here.startswith("_backends"):
            done[0] = True
            return
        caller = frame.f_back
        there = module(caller.f_code) if caller is not None else None
        if caller is not None and caller.f_code in props and there == here:
            return
        if there is None and frame.f_code.co_name != "fit":
            return
        if there != here and (id(caller), here) not in seen:
            seen.add((id(caller), here))
            counts[here] += 1

    est.fit(X)  # compile
    sys.setprofile(profile)
    try:
        est.fit(X)
    finally:
        sys.setprofile(None)
    return counts


def test_setting_up_a_fit_enters_each_module_at_most_twice():
    from brainestimators import HopfRegressor
    from brainestimators.datasets import make_hopf_cohort

    d = make_hopf_cohort(n_subjects=2, n_regions=4, n_time=40, random_state=0)
    est = HopfRegressor(connectivity=d.sc, bounds={"k": (0.0, 0.01), "a": (-0.05, 0.0)},
                        sample_dt=720.0, dt=72.0, noise_sigma=1e-3, max_iter=1)
    counts = setup_entries(est, d.bold)
    assert counts["_plan.py"] >= 1 and counts["_fit.py"] >= 1  # the trace saw the way down
    assert {m: n for m, n in counts.items() if n > 2} == {}
