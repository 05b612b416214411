"""What ``setup.py`` reading knows about a module's code (libcst visitors): the names it binds, the calls it
makes, the files it opens, the transformations applied to what it reads."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

import libcst as cst


_MUTATORS = {
    "append", "extend", "insert", "remove", "pop", "clear", "update",
    "setdefault", "__setitem__", "__delitem__", "__iadd__",
}
_OPEN_FUNCS = {"open", "io.open", "codecs.open", "builtins.open", "io.open_code"}
_JOIN_FUNCS = {"os.path.join", "path.join", "join", "posixpath.join", "osp.join"}
_SAME_FUNCS = {
    "os.path.abspath", "os.path.realpath", "os.path.normpath", "os.path.expanduser",
    "path.abspath", "path.realpath", "path.normpath", "abspath", "realpath",
    "normpath", "os.fspath", "str", "osp.abspath", "osp.realpath",
}
_DIRNAME_FUNCS = {"os.path.dirname", "path.dirname", "dirname", "osp.dirname"}
_CWD_FUNCS = {"os.getcwd", "Path.cwd", "pathlib.Path.cwd", "getcwd"}
_PATH_CLASSES = {
    "Path", "pathlib.Path", "PurePath", "pathlib.PurePath", "PosixPath",
    "pathlib.PosixPath", "PurePosixPath", "pathlib.PurePosixPath",
}
# function -> index of the argument naming a file it reads
_READER_FUNCS = {
    "runpy.run_path": 0, "run_path": 0, "imp.load_source": 1, "load_source": 1,
    "importlib.util.spec_from_file_location": 1, "spec_from_file_location": 1,
    "importlib.machinery.SourceFileLoader": 1, "SourceFileLoader": 1,
}


def _dotted(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = _dotted(node.value)
        return None if base is None else f"{base}.{node.attr.value}"
    return None


def _string_value(node: cst.BaseExpression) -> str | None:
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        try:
            value = node.evaluated_value
        except Exception:  # pragma: no cover - libcst edge cases
            return None
        return value if isinstance(value, str) else None
    return None


def _root_name(node: cst.BaseExpression) -> str | None:
    while isinstance(node, (cst.Attribute, cst.Subscript)):
        node = node.value
    return node.value if isinstance(node, cst.Name) else None


@dataclass
class _Binding:
    """One binding of a name in setup.py: its value (None when not an assignment), line, the blocks
    and ``with`` items around it, and how it was bound."""

    value: cst.BaseExpression | None
    line: int
    blocks: tuple[str, ...]
    withs: tuple[tuple[str, cst.BaseExpression], ...]
    how: str


class _Facts(cst.CSTVisitor):
    """Module-level facts about setup.py."""

    def __init__(self, positions) -> None:
        super().__init__()
        self.positions = positions
        self.bindings: dict[str, list[_Binding]] = defaultdict(list)
        self.mutations: dict[str, list[int]] = defaultdict(list)
        self.functions: dict[str, cst.FunctionDef] = {}
        self.calls: list[tuple[cst.Call, bool]] = []  # (call, inside a def)
        self.setup_calls: list[cst.Call] = []
        self.imports: list[tuple[str, int]] = []
        self.star_imports: list[tuple[str, int]] = []
        self.exec_lines: list[int] = []
        self._blocks: list[str] = []
        self._withs: list[tuple[str, cst.BaseExpression]] = []
        self._with_counts: list[int] = []

    def line(self, node: cst.CSTNode) -> int:
        return self.positions[node].start.line

    def _bind(self, target: cst.BaseExpression, value: cst.BaseExpression | None, how: str) -> None:
        if isinstance(target, cst.Name):
            self.bindings[target.value].append(
                _Binding(value, self.line(target), tuple(self._blocks), tuple(self._withs), how)
            )
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._bind(element.value, None, "unpacking")
        elif isinstance(target, cst.StarredElement):
            self._bind(target.value, None, "unpacking")
        else:
            name = _root_name(target)
            if name is not None:
                self.mutations[name].append(self.line(target))

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._bind(target.target, node.value, "assignment")

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._bind(node.target, node.value, "assignment")

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        name = _root_name(node.target)
        if name is not None:
            self.mutations[name].append(self.line(node))

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._bind(node.target, None, "walrus")

    def visit_Del(self, node: cst.Del) -> None:
        name = _root_name(node.target) if not isinstance(node.target, cst.Tuple) else None
        if name is not None:
            self.mutations[name].append(self.line(node))

    def visit_Global(self, node: cst.Global) -> None:
        for item in node.names:
            self.mutations[item.name.value].append(self.line(node))

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            dotted = _dotted(alias.name) or ""
            self.imports.append((dotted, self.line(node)))
            bound = alias.asname.name if alias.asname else None
            if isinstance(bound, cst.Name):
                self._bind(bound, None, "import")
            elif dotted:
                self.bindings[dotted.split(".")[0]].append(
                    _Binding(None, self.line(node), tuple(self._blocks), (), "import")
                )

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if node.relative:
            return
        module = _dotted(node.module) if node.module is not None else None
        if module:
            self.imports.append((module, self.line(node)))
        if isinstance(node.names, cst.ImportStar):
            self.star_imports.append((module or "?", self.line(node)))
            return
        for alias in node.names:
            target = alias.asname.name if alias.asname else alias.name
            if isinstance(target, cst.Name):
                self._bind(target, None, "import")

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if not self._blocks:
            self.functions[node.name.value] = node
        self.bindings[node.name.value].append(
            _Binding(None, self.line(node), tuple(self._blocks), (), "def")
        )
        self._blocks.append("def")

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._blocks.pop()

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._blocks.append("class")

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._blocks.pop()

    def visit_If(self, node: cst.If) -> None:
        self._blocks.append("if")

    def leave_If(self, original_node: cst.If) -> None:
        self._blocks.pop()

    def visit_Try(self, node: cst.Try) -> None:
        self._blocks.append("try")

    def leave_Try(self, original_node: cst.Try) -> None:
        self._blocks.pop()

    def visit_While(self, node: cst.While) -> None:
        self._blocks.append("while")

    def leave_While(self, original_node: cst.While) -> None:
        self._blocks.pop()

    def visit_For(self, node: cst.For) -> None:
        self._bind(node.target, None, "for loop")
        self._blocks.append("for")

    def leave_For(self, original_node: cst.For) -> None:
        self._blocks.pop()

    def visit_With(self, node: cst.With) -> None:
        count = 0
        for item in node.items:
            if item.asname is not None and isinstance(item.asname.name, cst.Name):
                self._bind(item.asname.name, None, "with")
                self._withs.append((item.asname.name.value, item.item))
                count += 1
        self._with_counts.append(count)
        self._blocks.append("with")

    def leave_With(self, original_node: cst.With) -> None:
        self._blocks.pop()
        for _ in range(self._with_counts.pop()):
            self._withs.pop()

    def visit_Call(self, node: cst.Call) -> None:
        self.calls.append((node, "def" in self._blocks))
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in _MUTATORS:
            name = _root_name(func.value)
            if name is not None:
                self.mutations[name].append(self.line(node))
        dotted = _dotted(func)
        if dotted in ("exec", "execfile", "builtins.exec"):
            self.exec_lines.append(self.line(node))
        if dotted in ("setup", "setuptools.setup", "distutils.core.setup", "core.setup"):
            self.setup_calls.append(node)


class _CallCollector(cst.CSTVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[cst.Call] = []
        self.names: list[str] = []

    def visit_Call(self, node: cst.Call) -> None:
        self.calls.append(node)

    def visit_Name(self, node: cst.Name) -> None:
        self.names.append(node.value)


_UNKNOWN = object()  # a read whose file name is not literal

# Calls that read a requirements file without dropping or changing a requirement line.
_FAITHFUL_CALLS = frozenset({
    "open", "io.open", "codecs.open", "read", "readlines", "splitlines", "strip", "lstrip", "rstrip",
    "read_text", "join", "os.path.join", "dirname", "os.path.dirname", "abspath", "os.path.abspath",
    "realpath", "os.path.realpath", "Path", "pathlib.Path", "list", "str", "fspath", "os.fspath", "resolve",
    "append", "extend", "parse_requirements", "pkg_resources.parse_requirements", "startswith", "parent",
})
_SAFE_TEST = re.compile(r"""\.startswith\(\s*(['"])#\1\s*\)|\.[lr]?strip\(\s*\)|\b(?:not|and|or)\b|[A-Za-z_][A-Za-z0-9_]*|[()\s]""")


def _comment_safe(test: str) -> bool:
    """Does a condition only look at blank and comment lines (truthiness, ``.strip()``,
    ``.startswith("#")``, ``not``/``and``/``or``)?"""
    return _SAFE_TEST.sub("", test) == ""


class _Transforms(cst.CSTVisitor):
    """What a requirements-reading expression or helper does to the lines: the calls it makes, the
    conditions it tests, and constructs that may drop or change lines (slices, loops, del)."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[cst.Call] = []
        self.tests: list[cst.CSTNode] = []
        self.bad: list[cst.CSTNode] = []

    def visit_Call(self, node: cst.Call) -> None:
        self.calls.append(node)

    def visit_If(self, node: cst.If) -> None:
        self.tests.append(node.test)

    def visit_IfExp(self, node: cst.IfExp) -> None:
        self.bad.append(node)

    def visit_CompIf(self, node: cst.CompIf) -> None:
        self.tests.append(node.test)

    def visit_Subscript(self, node: cst.Subscript) -> None:
        self.bad.append(node)

    def visit_While(self, node: cst.While) -> None:
        self.bad.append(node)

    def visit_Del(self, node: cst.Del) -> None:
        self.bad.append(node)
