"""``setup.py`` read with libcst, never executed: the ``setup()`` call's ``install_requires`` and
``extras_require``, following the names, files and calls they come from.
"""

from __future__ import annotations

import posixpath
from collections import defaultdict
from typing import Iterator, Sequence

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from .base import _Fail, _Partial, _Project
from .setup_py_facts import (
    _CWD_FUNCS,
    _DIRNAME_FUNCS,
    _FAITHFUL_CALLS,
    _JOIN_FUNCS,
    _OPEN_FUNCS,
    _PATH_CLASSES,
    _READER_FUNCS,
    _SAME_FUNCS,
    _UNKNOWN,
    _CallCollector,
    _comment_safe,
    _dotted,
    _Facts,
    _string_value,
    _Transforms,
)


# source text -> (module, its facts): both are read only once built, and building them (parsing
# and computing positions) is most of the cost of reading a setup.py.  Several Dockerfiles of
# one project share their setup.py, each with its own build context.
_PARSED: dict[str, tuple[cst.Module, _Facts]] = {}
_PARSED_MAX = 32


def _parsed(source: str) -> tuple[cst.Module, _Facts]:
    hit = _PARSED.get(source)
    if hit is None:
        # the module was just parsed and nothing else holds it: no defensive copy is needed
        wrapper = MetadataWrapper(cst.parse_module(source), unsafe_skip_copy=True)
        facts = _Facts(wrapper.resolve(PositionProvider))
        wrapper.module.visit(facts)
        if len(_PARSED) >= _PARSED_MAX:
            _PARSED.clear()
        hit = _PARSED[source] = (wrapper.module, facts)
    return hit


class _SetupPy:
    def __init__(self, st: _Project, rel: str, source: str):
        self.st = st
        self.rel = rel
        self.module, self.facts = _parsed(source)
        self.req_files: list[str] = []  # requirement files eval_reqs read
        self.req_lines = 0  # how many requirements came from them

    def code(self, node: cst.CSTNode) -> str:
        text = " ".join(self.module.code_for_node(node).split())
        return text if len(text) <= 60 else text[:57] + "..."

    def where(self, node: cst.CSTNode) -> str:
        try:
            return f"{self.rel}:{self.facts.line(node)}"
        except KeyError:
            return self.rel

    # -- names ----------------------------------------------------------------

    def resolve(self, name: str, what: str = "") -> tuple[cst.BaseExpression, tuple[tuple[str, cst.BaseExpression], ...]]:
        """The one module-level value bound to ``name`` (and the ``with``
        items around it), or _Fail with the reason."""
        prefix = f"{what} comes from `{name}`, which" if what else f"`{name}`"
        bindings = self.facts.bindings.get(name, [])
        if not bindings:
            hint = ""
            if self.facts.exec_lines:
                hint = f" (it may come from exec() at line {self.facts.exec_lines[0]})"
            elif self.facts.star_imports:
                module, line = self.facts.star_imports[0]
                hint = f" (it may come from `from {module} import *` at line {line})"
            raise _Fail(f"{self.rel}: {prefix} is not assigned in setup.py{hint}")
        if len(bindings) > 1:
            lines = ", ".join(str(b.line) for b in bindings)
            raise _Fail(f"{self.rel}:{bindings[0].line}: {prefix} is bound {len(bindings)} times (lines {lines})")
        binding = bindings[0]
        if binding.value is None:
            how = {
                "import": "is imported",
                "def": "is a function",
                "for loop": "is a for-loop variable",
                "with": "is bound by a with statement",
            }.get(binding.how, f"is bound by {binding.how}")
            raise _Fail(f"{self.rel}:{binding.line}: {prefix} {how}")
        blocks = [b for b in binding.blocks if b != "with"]
        if blocks:
            raise _Fail(f"{self.rel}:{binding.line}: {prefix} is assigned inside {'a function' if blocks[0] == 'def' else 'an ' + blocks[0] if blocks[0] == 'if' else 'a ' + blocks[0]} block")
        if self.facts.mutations.get(name):
            raise _Fail(f"{self.rel}:{self.facts.mutations[name][0]}: {prefix} is modified")
        return binding.value, binding.withs

    # -- paths ----------------------------------------------------------------

    def path_of(self, node: cst.BaseExpression, env: dict[str, object], depth: int = 0) -> str | None:
        """Project-relative path an expression evaluates to ('' = project dir)."""
        if depth > 8:
            return None
        s = _string_value(node)
        if s is not None:
            return s
        if isinstance(node, cst.Name):
            if node.value == "__file__":
                return "setup.py"
            if node.value in env:
                value = env[node.value]
                return value if isinstance(value, str) else None
            try:
                value_node, _ = self.resolve(node.value)
            except _Fail:
                return None
            return self.path_of(value_node, {}, depth + 1)
        if isinstance(node, cst.Attribute) and node.attr.value == "parent":
            base = self.path_of(node.value, env, depth + 1)
            return None if base is None else _dirname(base)
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Divide):
            left = self.path_of(node.left, env, depth + 1)
            right = self.path_of(node.right, env, depth + 1)
            return None if left is None or right is None else _pjoin(left, right)
        if isinstance(node, cst.Call):
            dotted = _dotted(node.func)
            args = self._path_args(node, env, depth)
            if dotted in _CWD_FUNCS:
                return ""
            if args is None:
                return None
            if dotted in _JOIN_FUNCS and args:
                return _pjoin(*args)
            if dotted in _SAME_FUNCS and len(args) == 1:
                return args[0]
            if dotted in _DIRNAME_FUNCS and len(args) == 1:
                return _dirname(args[0])
            if dotted in _PATH_CLASSES:
                return _pjoin(*args) if args else ""
            if isinstance(node.func, cst.Attribute):
                method = node.func.attr.value
                if method in ("resolve", "absolute", "expanduser") and not args:
                    return self.path_of(node.func.value, env, depth + 1)
                if method == "joinpath":
                    base = self.path_of(node.func.value, env, depth + 1)
                    return None if base is None else _pjoin(base, *args)
        return None

    def _path_args(self, call: cst.Call, env: dict[str, object], depth: int) -> list[str] | None:
        out: list[str] = []
        for arg in call.args:
            if arg.keyword is not None:
                continue
            if arg.star == "*":
                if isinstance(arg.value, cst.Name) and isinstance(env.get(arg.value.value), list):
                    out.extend(env[arg.value.value])  # type: ignore[arg-type]
                    continue
                return None
            if arg.star:
                return None
            value = self.path_of(arg.value, env, depth + 1)
            if value is None:
                return None
            out.append(value)
        return out

    # -- reads ------------------------------------------------------------------

    def call_reads(self, call: cst.Call, env: dict[str, object], depth: int, seen: frozenset[str]) -> list[object]:
        """Files one call reads: paths, or _UNKNOWN for a non-literal name."""
        dotted = _dotted(call.func)
        positional = [a for a in call.args if a.keyword is None and not a.star]
        if dotted in _OPEN_FUNCS or dotted in _READER_FUNCS:
            index = 0 if dotted in _OPEN_FUNCS else _READER_FUNCS[dotted]
            target = None
            if len(positional) > index:
                target = positional[index].value
            else:
                for a in call.args:
                    if a.keyword is not None and a.keyword.value in ("file", "path", "pathname", "location"):
                        target = a.value
            if target is None:
                return [_UNKNOWN]
            path = self.path_of(target, env)
            return [path if path is not None else _UNKNOWN]
        if isinstance(call.func, cst.Attribute):
            method = call.func.attr.value
            receiver = call.func.value
            if method in ("read_text", "read_bytes"):
                path = self.path_of(receiver, env)
                return [path if path is not None else _UNKNOWN]
            if method == "open" and dotted not in ("tarfile.open", "zipfile.open", "webbrowser.open"):
                if isinstance(receiver, cst.BinaryOperation) or (
                    isinstance(receiver, cst.Call) and _dotted(receiver.func) in _PATH_CLASSES
                ):
                    path = self.path_of(receiver, env)
                    return [path if path is not None else _UNKNOWN]
        if isinstance(call.func, cst.Name) and call.func.value in self.facts.functions:
            name = call.func.value
            if name in seen or depth > 3:
                return []
            return self.helper_reads(self.facts.functions[name], call, env, depth + 1, seen | {name})
        return []

    def helper_reads(self, func: cst.FunctionDef, call: cst.Call, env: dict[str, object], depth: int, seen: frozenset[str]) -> list[object]:
        local: dict[str, object] = {}
        params = list(func.params.posonly_params) + list(func.params.params)
        positional = [a for a in call.args if a.keyword is None and not a.star]
        keywords = {a.keyword.value: a.value for a in call.args if a.keyword is not None}
        for index, param in enumerate(params):
            value_node = positional[index].value if index < len(positional) else keywords.get(param.name.value, param.default)
            if value_node is not None:
                value = self.path_of(value_node, env)
                if value is not None:
                    local[param.name.value] = value
        star = func.params.star_arg
        if isinstance(star, cst.Param):
            rest = [self.path_of(a.value, env) for a in positional[len(params):]]
            if all(r is not None for r in rest):
                local[star.name.value] = rest
        for param in func.params.kwonly_params:
            value_node = keywords.get(param.name.value, param.default)
            if value_node is not None:
                value = self.path_of(value_node, env)
                if value is not None:
                    local[param.name.value] = value
        # simple local assignments (path = os.path.join(here, name))
        assigns: dict[str, list[cst.BaseExpression]] = defaultdict(list)
        for node in _walk_assigns(func.body):
            assigns[node[0]].append(node[1])
        for _ in range(3):
            for name, values in assigns.items():
                if len(values) == 1 and name not in local:
                    value = self.path_of(values[0], local)
                    if value is not None:
                        local[name] = value
        return self.reads_in(func.body, local, depth, seen)

    def reads_in(self, node: cst.CSTNode, env: dict[str, object], depth: int = 0, seen: frozenset[str] = frozenset(), withs: Sequence[tuple[str, cst.BaseExpression]] = ()) -> list[object]:
        collector = _CallCollector()
        node.visit(collector)
        out: list[object] = []
        for call in collector.calls:
            out.extend(self.call_reads(call, env, depth, seen))
        for name, expr in withs:
            if name in collector.names:
                out.extend(self.reads_in(expr, env, depth, seen))
        return out

    # -- requirements -------------------------------------------------------

    def eval_reqs(self, node: cst.BaseExpression, withs: Sequence[tuple[str, cst.BaseExpression]], what: str, depth: int = 0) -> list[str]:
        if depth > 6:
            raise _Fail(f"{self.where(node)}: {what} is too indirect")
        if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
            out: list[str] = []
            for element in node.elements:
                if isinstance(element, cst.StarredElement):
                    out.extend(self.eval_reqs(element.value, withs, what, depth + 1))
                    continue
                s = _string_value(element.value)
                if s is None:
                    raise _Fail(f"{self.where(element.value)}: {what} element `{self.code(element.value)}` is not a string literal")
                out.append(s)
            return out
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
            return self.eval_reqs(node.left, withs, what, depth + 1) + self.eval_reqs(node.right, withs, what, depth + 1)
        s = _string_value(node)
        if s is not None:  # setuptools accepts a newline-separated string
            return [line.strip() for line in s.splitlines() if line.strip() and not line.strip().startswith("#")]
        if isinstance(node, cst.Name):
            value, bwiths = self.resolve(node.value, what)
            return self.eval_reqs(value, bwiths, what, depth + 1)
        reads = self.reads_in(node, {}, withs=withs)
        paths = list(dict.fromkeys(r for r in reads if isinstance(r, str)))
        if _UNKNOWN in reads:
            raise _Fail(f"{self.where(node)}: {what} reads a file whose name is not a literal (`{self.code(node)}`)")
        if len(paths) == 1:
            self.check_faithful(node, withs, what)
            return self.from_file(node, what, paths[0])
        if len(paths) > 1:
            raise _Fail(f"{self.where(node)}: {what} reads several files ({', '.join(paths)})")
        collector = _CallCollector()
        node.visit(collector)
        named = list(dict.fromkeys(
            s for call in collector.calls for arg in call.args
            if (s := _string_value(arg.value)) and (s.endswith((".txt", ".in")) or "requirement" in s)
        ))
        if len(named) == 1:  # e.g. pip's parse_requirements("requirements.txt")
            self.check_faithful(node, withs, what)
            return self.from_file(node, what, named[0])
        raise _Fail(f"{self.where(node)}: {what} is computed (`{self.code(node)}`)")

    def check_faithful(self, node: cst.CSTNode, withs: Sequence[tuple[str, cst.BaseExpression]], what: str) -> None:
        """The code that turns the file into requirements keeps every requirement line: it only
        opens, reads, splits and strips, and its conditions only skip blank and comment lines.
        Anything else (a filter, a slice, a replace, a call dockfix does not know) may drop or
        change requirements, so the file's lines are not the project's dependencies."""
        pending: list[cst.CSTNode] = [node] + [expr for _, expr in withs]
        seen: set[str] = set()
        while pending:
            current = pending.pop()
            finder = _Transforms()
            current.visit(finder)
            for bad in finder.bad:
                raise _Fail(f"{self.where(bad)}: {what} changes what it reads from the file (`{self.code(bad)}`)")
            for test in finder.tests:
                if not _comment_safe(self.module.code_for_node(test)):
                    raise _Fail(f"{self.where(test)}: {what} filters the lines it reads (`{self.code(test)}`)")
            for call in finder.calls:
                dotted = _dotted(call.func) or ""
                name = call.func.attr.value if isinstance(call.func, cst.Attribute) else dotted
                if isinstance(call.func, cst.Name) and name in self.facts.functions:
                    if name not in seen:
                        seen.add(name)
                        pending.append(self.facts.functions[name].body)
                    continue
                if name == "split" and not call.args:
                    continue  # whitespace-separated: a requirement with a space would fail setuptools itself
                if name not in _FAITHFUL_CALLS and dotted not in _FAITHFUL_CALLS:
                    raise _Fail(f"{self.where(call)}: {what} passes what it reads through `{self.code(call)}`")

    def from_file(self, node: cst.BaseExpression, what: str, name: str) -> list[str]:
        self.req_files.append(self.st.rel(name) or name)
        try:
            lines = self.st.requirements_from_file(name, "setup.py")
            self.req_lines += len(lines)
            return lines
        except _Fail as exc:
            raise _Fail(f"{self.where(node)}: {what} reads {name}: {exc}") from None

    def eval_extras(self, node: cst.BaseExpression, depth: int = 0) -> dict[str, tuple[str, ...]]:
        if isinstance(node, cst.Name) and depth < 4:
            value, _ = self.resolve(node.value, "extras_require")
            return self.eval_extras(value, depth + 1)
        if isinstance(node, cst.Dict):
            out: dict[str, tuple[str, ...]] = {}
            for element in node.elements:
                if not isinstance(element, cst.DictElement):
                    raise _Fail(f"{self.where(element)}: extras_require unpacks `{self.code(element)}`")
                key = _string_value(element.key)
                if key is None:
                    raise _Fail(f"{self.where(element.key)}: extras_require key `{self.code(element.key)}` is not a string literal")
                out[key] = tuple(self.eval_reqs(element.value, (), f"extras_require[{key!r}]", depth + 1))
            return out
        raise _Fail(f"{self.where(node)}: extras_require is computed (`{self.code(node)}`)")


def _walk_assigns(body: cst.CSTNode) -> Iterator[tuple[str, cst.BaseExpression]]:
    class V(cst.CSTVisitor):
        def __init__(self) -> None:
            super().__init__()
            self.found: list[tuple[str, cst.BaseExpression]] = []

        def visit_Assign(self, node: cst.Assign) -> None:
            for t in node.targets:
                if isinstance(t.target, cst.Name):
                    self.found.append((t.target.value, node.value))

    v = V()
    body.visit(v)
    return iter(v.found)


def _dirname(path: str) -> str:
    norm = posixpath.normpath(path) if path else "."
    if norm == ".":
        return ".."
    if norm == ".." or norm.endswith("/.."):
        return norm + "/.."
    return posixpath.dirname(norm)


def _pjoin(*parts: str) -> str:
    return posixpath.join(*parts) if parts else ""


def _read_setup_py(st: _Project) -> _Partial:
    try:
        return _read_setup_py_unguarded(st)
    except _Fail:
        raise
    except Exception as exc:  # never let a surprise in static analysis escape
        rel = st.rel("setup.py")
        reason = f"{rel}: could not be analysed ({type(exc).__name__}: {exc})".splitlines()[0]
        return _Partial(deps_reason=reason, extras_reason=reason)


def _read_setup_py_unguarded(st: _Project) -> _Partial:
    out = _Partial()
    rel = st.touch("setup.py")
    assert rel is not None
    source = st.ctx.read_text(rel)
    if source is None:
        out.deps_reason = out.extras_reason = f"{rel}: cannot read the file"
        return out
    try:
        sp = _SetupPy(st, rel, source)
    except cst.ParserSyntaxError as exc:
        out.deps_reason = out.extras_reason = f"{rel}:{exc.editor_line}: cannot parse ({exc.message})"
        return out
    except RecursionError:
        out.deps_reason = out.extras_reason = f"{rel}: cannot parse (too deeply nested)"
        return out

    # every literal file setup.py reads, anywhere
    for call, in_def in sp.facts.calls:
        for read in sp.call_reads(call, {}, 0, frozenset()):
            if isinstance(read, str):
                _touch_project_path(st, read)
            elif not in_def:
                st.note(f"{sp.where(call)}: setup.py reads a file whose name is not a literal")
    # local modules setup.py imports
    for module, line in sp.facts.imports:
        top = module.split(".")[0]
        for name in (f"{top}.py", f"{top}/__init__.py", f"src/{top}/__init__.py"):
            path = st.rel(name)
            if path is not None and st.ctx.is_file(path) and path != rel:
                st.touch(name)
                st.note(f"{rel}:{line}: setup.py imports the local module `{top}`")
                break

    calls = sp.facts.setup_calls
    if not calls:
        out.deps_reason = f"{rel}: no setup() call found"
        out.extras_reason = out.deps_reason
        return out
    if len(calls) > 1:
        lines = ", ".join(str(sp.facts.line(c)) for c in calls)
        out.deps_reason = f"{rel}: several setup() calls (lines {lines})"
        out.extras_reason = out.deps_reason
        return out
    call = calls[0]
    keywords = {a.keyword.value: a.value for a in call.args if a.keyword is not None}
    star_kwargs = [a for a in call.args if a.star == "**"]
    star_args = [a for a in call.args if a.star == "*"]

    def lookup(key: str) -> cst.BaseExpression | None:
        if key in keywords:
            return keywords[key]
        for arg in star_kwargs:
            node = arg.value
            try:
                if isinstance(node, cst.Name):
                    node, _ = sp.resolve(node.value)
            except _Fail as exc:
                raise _Fail(f"{sp.where(arg)}: setup() takes **{sp.code(arg.value)}; {key} may come from it ({exc})") from None
            if isinstance(node, cst.Dict) and all(
                isinstance(e, cst.DictElement) and _string_value(e.key) is not None for e in node.elements
            ):
                for e in node.elements:
                    if isinstance(e, cst.DictElement) and _string_value(e.key) == key:
                        return e.value
                continue
            raise _Fail(f"{sp.where(arg)}: setup() takes **{sp.code(arg.value)}; {key} may come from it")
        if star_args:
            raise _Fail(f"{sp.where(star_args[0])}: setup() takes *{sp.code(star_args[0].value)}")
        return None

    try:
        node = lookup("install_requires")
        if node is None:
            out.deps = ()
            out.deps_source = f"{sp.where(call)} setup() has no install_requires"
        else:
            out.deps = tuple(sp.eval_reqs(node, (), "install_requires"))
            out.deps_source = f"{sp.where(node)} install_requires"
            if sp.req_files:
                out.deps_source += f" (read from {', '.join(dict.fromkeys(sp.req_files))})"
                if sp.req_lines == len(out.deps):
                    out.deps_files = tuple(dict.fromkeys(sp.req_files))
        out.deps_found = True
    except _Fail as exc:
        out.deps_reason = str(exc)
    try:
        node = lookup("extras_require")
        out.extras = sp.eval_extras(node) if node is not None else {}
        out.extras_found = True
    except _Fail as exc:
        out.extras, out.extras_reason = {}, str(exc)
    return out


def _touch_project_path(st: _Project, path: str) -> None:
    if path.startswith("/"):
        st.note(f"setup.py reads the absolute path {path}")
        return
    norm = posixpath.normpath(path)
    if norm in (".", ""):
        return
    st.touch(norm)
