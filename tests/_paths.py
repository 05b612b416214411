"""Paths shared by the test modules."""

import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
SHARED = ROOT.parent / "shared"


def fixture_cases():
    """Every fixture case folder: fixtures/<rule>/<case>/ holding a Dockerfile."""
    return sorted(p.parent for p in FIXTURES.glob("*/*/Dockerfile"))
