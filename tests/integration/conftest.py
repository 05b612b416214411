"""The integration tier: real BuildKit builds against the build lab (scripts/buildlab/setup.sh).

Run it with scripts/integration.sh, or by hand:
    scripts/buildlab/setup.sh && . /tmp/dockfix-buildlab/env.sh && pytest -m integration tests/integration
"""

import os

import pytest

from dockfix.cli.verify import Docker, Index, VerifyError

HINT = "start the lab: scripts/buildlab/setup.sh && . /tmp/dockfix-buildlab/env.sh"


@pytest.fixture(scope="session")
def docker() -> Docker:
    try:
        return Docker.detect()
    except VerifyError as e:
        pytest.fail(f"{e} ({HINT})", pytrace=False)


@pytest.fixture(scope="session")
def index() -> Index:
    idx = Index(os.environ.get("DOCKFIX_INDEX_URL", "http://127.0.0.1:3141"))
    try:
        idx.downloads()
    except VerifyError as e:
        pytest.fail(f"{e} ({HINT})", pytrace=False)
    return idx
