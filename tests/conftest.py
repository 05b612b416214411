import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
SHARED = ROOT.parent / "shared"


def fixture_cases():
    """Every fixture case folder: fixtures/<rule>/<case>/ holding a Dockerfile."""
    return sorted(p.parent for p in FIXTURES.glob("*/*/Dockerfile"))


@pytest.fixture
def shared():
    if not SHARED.is_dir():
        pytest.skip("../shared is not present")
    return SHARED
