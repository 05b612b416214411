"""Each rule's page agrees with its fixtures, and lists every refusal case."""

import re

import pytest

from dockfix.rules import ALL_RULES, page

from _paths import FIXTURES

EXAMPLE = re.compile(r"<!-- fixture: (\S+) -->\nBefore:\n\n```dockerfile\n(.*?)```\n\nAfter:\n\n```dockerfile\n(.*?)```", re.S)


@pytest.mark.parametrize("rule", ALL_RULES, ids=[r.CODE for r in ALL_RULES])
def test_page_examples_are_the_fixtures(rule):
    text = page(rule.CODE)
    assert text.startswith(f"# {rule.CODE} {rule.NAME}\n")
    examples = EXAMPLE.findall(text)
    assert examples, "a page shows at least one before/after example"
    for case, before, after in examples:
        assert (FIXTURES / case / "Dockerfile").read_text() == before
        assert (FIXTURES / case / "expected.Dockerfile").read_text() == after


@pytest.mark.parametrize("rule", ALL_RULES, ids=[r.CODE for r in ALL_RULES])
def test_page_lists_every_refusal_fixture(rule):
    text = page(rule.CODE)
    for case in sorted((FIXTURES / rule.CODE).glob("refuse-*")):
        assert f"fixtures/{rule.CODE}/{case.name}" in text


@pytest.mark.parametrize("rule", ALL_RULES, ids=[r.CODE for r in ALL_RULES])
def test_every_rule_has_changing_and_refusing_fixtures(rule):
    cases = list((FIXTURES / rule.CODE).iterdir())
    assert any((c / "expected.Dockerfile").exists() for c in cases)
    assert any(c.name.startswith("refuse-") for c in cases)
