"""The package layout is layered (docs/architecture.md): a module imports only modules of its own
layer or of lower ones, and modules import one another without cycles.

Imports are read with ``ast`` from every module of ``src/dockfix``, also those inside functions
(a lazy import is still a dependency), relative and absolute alike.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"
PKG = "dockfix"

# Lowest first. A module may import its own layer and the layers before it, never a later one.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("package", ("dockfix",)),  # __init__: the version only
    ("dockerfile", ("dockfix.dockerfile",)),  # bytes <-> lossless Dockerfile, edits, writing
    ("build", ("dockfix.build",)),  # state per instruction, users, the context on disk, builders
    ("shell", ("dockfix.shell",)),  # RUN scripts: commands, installer invocations, effects
    ("project", ("dockfix.project",)),  # what a Python project declares
    ("installers", ("dockfix.installers",)),  # one profile per installer, manifests, config files
    ("rules", ("dockfix.rules",)),  # one module per rule; reorder/: the move checks
    ("engine", ("dockfix.engine",)),  # read -> rules -> apply -> verify -> repeat
    ("targets", ("dockfix.targets",)),  # Dockerfiles to fix, their contexts, their settings
    ("api", ("dockfix.api", "dockfix.runner")),  # the library's entry points
    ("cli", ("dockfix.cli", "dockfix.__main__")),  # the command line
)

def module_name(path: Path) -> tuple[str, bool]:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        return ".".join(parts[:-1]), True
    return ".".join(parts), False


def all_modules() -> dict[str, Path]:
    return {module_name(p)[0]: p for p in sorted((SRC / PKG).rglob("*.py"))}


def imports_of(source: str, module: str, is_package: bool, known: set[str]) -> set[str]:
    """The dockfix modules ``source`` (the text of ``module``) imports, anywhere in it."""
    package = module if is_package else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target != PKG and not target.startswith(PKG + "."):
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                found.add(sub if sub in known else target)  # `from . import x`: the submodule x
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == PKG or alias.name.startswith(PKG + "."):
                    found.add(alias.name)
    found.discard(module)
    return found


def graph() -> dict[str, set[str]]:
    modules = all_modules()
    known = set(modules)
    out = {}
    for name, path in modules.items():
        out[name] = imports_of(path.read_text(encoding="utf-8"), name, path.name == "__init__.py", known)
    return out


def layer_of(module: str) -> int:
    best, rank = -1, None
    for i, (_, prefixes) in enumerate(LAYERS):
        for p in prefixes:
            if (module == p or (p != PKG and module.startswith(p + "."))) and len(p) > best:
                best, rank = len(p), i
    assert rank is not None, f"{module} belongs to no layer: add it to LAYERS (and docs/architecture.md)"
    return rank


def cycles(g: dict[str, set[str]]) -> list[frozenset[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out = []
    counter = 0
    for root in sorted(g):
        if root in index:
            continue
        work = [(root, iter(sorted(g.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(g.get(w, ())))))
                elif w in on_stack:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                component = set()
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    component.add(w)
                    if w == v:
                        break
                if len(component) > 1:
                    out.append(frozenset(component))
    return out


def test_every_module_has_a_layer():
    for module in all_modules():
        layer_of(module)


def violations(g: dict[str, set[str]]) -> list[str]:
    bad = []
    for module, deps in sorted(g.items()):
        for dep in sorted(deps):
            if layer_of(dep) > layer_of(module):
                bad.append(f"{module} ({LAYERS[layer_of(module)][0]}) imports {dep} ({LAYERS[layer_of(dep)][0]})")
    return bad


def test_lower_layers_never_import_higher_ones():
    bad = violations(graph())
    assert not bad, "imports against the layering:\n" + "\n".join(bad)


def test_no_import_cycles():
    found = [sorted(c) for c in cycles(graph())]
    assert not found, f"import cycles: {found}"


# The checks above must see what they claim to check.

def test_the_reader_sees_relative_lazy_and_aliased_imports():
    source = (
        "from __future__ import annotations\n"
        "import os\n"
        "from ..dockerfile.model import Fix\n"
        "from . import reorder\n"
        "import dockfix.api as api\n"
        "def f():\n"
        "    from ..cli import app\n"
        "    from .reorder.base import Refuse\n"
    )
    known = {"dockfix.rules.reorder", "dockfix.rules.reorder.base", "dockfix.cli.app", "dockfix.api",
             "dockfix.dockerfile.model"}
    assert imports_of(source, "dockfix.rules.deps_first", False, known) == {
        "dockfix.dockerfile.model", "dockfix.rules.reorder", "dockfix.api", "dockfix.cli.app",
        "dockfix.rules.reorder.base",
    }
    assert imports_of("from . import x\n", "dockfix.installers", True, {"dockfix.installers.x"}) == {
        "dockfix.installers.x"}


def test_the_graph_is_the_real_one():
    g = graph()
    assert "dockfix.rules.deps_first" in g["dockfix.rules"]
    assert "dockfix.dockerfile.reader" in g["dockfix.engine"]
    assert "dockfix.build.context" in g["dockfix.api"]  # imported inside fix_bytes


@pytest.mark.parametrize("edges, expected", [
    ({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, [frozenset("abc")]),
    ({"a": {"b"}, "b": set()}, []),
    ({"a": {"b"}, "b": {"a"}, "c": {"d"}, "d": {"c"}}, [frozenset("ab"), frozenset("cd")]),
])
def test_cycles_are_found(edges, expected):
    assert sorted(cycles(edges), key=sorted) == sorted(expected, key=sorted)


def test_a_higher_import_is_caught():
    g = {
        "dockfix.dockerfile.reader": {"dockfix.dockerfile.model"},  # same layer
        "dockfix.installers.pip": {"dockfix.shell.nodes", "dockfix.rules.reorder.base"},  # lower; higher
        "dockfix.runner": {"dockfix.api"},  # same layer
        "dockfix.api": {"dockfix.cli.app"},  # higher
    }
    assert violations(g) == [
        "dockfix.api (api) imports dockfix.cli.app (cli)",
        "dockfix.installers.pip (installers) imports dockfix.rules.reorder.base (rules)",
    ]


def test_a_module_outside_every_layer_is_caught():
    with pytest.raises(AssertionError, match="belongs to no layer"):
        layer_of("dockfix.newmodule")  # a new top-level module needs a place in LAYERS
    assert LAYERS[layer_of("dockfix")][0] == "package"
