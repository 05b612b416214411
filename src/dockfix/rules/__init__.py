"""The rules. Each module has CODE, NAME, SUMMARY and ``check(facts) -> list[Fix | Skip]``.

A rule is a pure function of the parsed file and its build context: it returns fixes (edits
built with ``dockfix.dockerfile.edits``) and skips (reasons with a line), and never touches text or disk.
ALL_RULES is the one explicit, ordered list; ``dockfix --explain CODE`` prints docs/rules/CODE.md.
"""

from __future__ import annotations

import re
from functools import cached_property, lru_cache

from ..build.state import State, states
from ..build.context import BuildContext
from ..dockerfile.model import Dockerfile, Instruction, Settings
from ..shell.nodes import Invocation
from ..shell.invocation import invocations


@lru_cache(maxsize=4096)
def _parsed_script(script: str) -> tuple[Invocation, ...] | None:
    """Shell parsing is the costliest step and the engine re-runs rules after each fix: cache it."""
    parsed = invocations(script)
    return tuple(parsed) if parsed is not None else None


class Facts:
    """What every rule may want to know about one file, computed once per pass."""

    def __init__(self, df: Dockerfile, ctx: BuildContext, settings: Settings):
        self.df = df
        self.ctx = ctx
        self.settings = settings
        self._inv: dict[int, list[Invocation] | None] = {}
        self._index = {id(inst): k for k, inst in enumerate(df.instructions)}

    @cached_property
    def states(self) -> list[State]:
        return states(self.df)

    def script(self, inst: Instruction) -> tuple[str, int, bool] | None:
        """The shell script a RUN executes: (text, offset of the text in inst.logical, editable).

        For ``RUN <<EOF`` the heredoc body is the script; it can be read but never edited.
        None for exec form, for heredocs fed to another program, and for non-RUN instructions.
        """
        if inst.keyword != "RUN" or inst.json_form:
            return None
        if inst.heredocs:
            h = inst.heredocs[0]
            if len(inst.heredocs) == 1 and re.fullmatch(r"\d*<<-?\S+", inst.args.strip()):
                body = h.body
                if body.startswith("#!") and not re.match(r"#!\s*/(usr/)?bin/(env\s+)?(ba|da|)sh\b", body):
                    return None
                return body, -1, False
            return None
        return inst.args, inst.args_offset, True

    def invocations(self, inst: Instruction) -> list[Invocation] | None:
        """Commands of a RUN, parsed; None when they cannot be read reliably."""
        if inst.start not in self._inv:
            s = self.script(inst)
            parsed = _parsed_script(s[0]) if s else None
            self._inv[inst.start] = list(parsed) if parsed is not None else None
        return self._inv[inst.start]

    @cached_property
    def builder_refusal(self) -> tuple[str | None, bool]:
        """(why the builder cannot take a cache mount, whether the user's setting says so)."""
        from ..build.builders import refusal

        return refusal(self.settings.builder, self.df.path, self.ctx.root)

    def index(self, inst: Instruction) -> int:
        return self._index[id(inst)]

    def state(self, inst: Instruction) -> State:
        return self.states[self.index(inst)]


from . import apt_cache, cache_mount, deps_first, deps_split  # noqa: E402  (registry below needs Facts defined first)

ALL_RULES = (deps_first, deps_split, cache_mount, apt_cache)
BY_CODE = {r.CODE: r for r in ALL_RULES}
# Rules whose fixes, when each rewrites only its own RUN in place, neither change nor depend on one
# another (a rule says so with ``INDEPENDENT_FIXES = True`` and why): the engine applies such fixes
# found in one pass together (verified together; one at a time if that fails).
# tests/test_engine.py checks that this gives the same result as one fix per pass.
INDEPENDENT = frozenset(r.CODE for r in ALL_RULES if getattr(r, "INDEPENDENT_FIXES", False))


def page(code: str) -> str:
    """The documentation page of a rule (docs/rules/CODE.md, shipped inside the package)."""
    from importlib.resources import files

    return files(__package__).joinpath("docs", f"{code}.md").read_text(encoding="utf-8")
