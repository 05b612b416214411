"""Real builds of the moves DF001 makes since it proves more steps safe (issue 9): for each
project under projects/coverage/, dockfix rewrites it, the rewrite builds the same image, and after
a code change the rewritten build takes its install steps from the cache (installs nothing)."""

from pathlib import Path

import pytest

from dockfix.dockerfile.model import Settings
from dockfix.cli.verify import verify_file

pytestmark = pytest.mark.integration

PROJECTS = Path(__file__).parent / "projects" / "coverage"
DEPS = Settings(select=frozenset({"DF001", "DF003"}))


@pytest.mark.parametrize("case", [
    pytest.param("step-effects", id="1-steps-that-commute"),  # ls, echo, mkdir, venv elsewhere, VOLUME, useradd -d
    pytest.param("manifest-after", id="2-manifest-copied-after"),
    pytest.param("env-path", id="3-env-path"),
    pytest.param("subshell", id="4-install-in-a-subshell"),
    pytest.param("chain-split", id="4-install-and-more-cut-after-the-install"),
    pytest.param("workdir-chown", id="5-manifest-copy-above-the-workdir"),
    # the install RUN also upgrades pip by name (its effect: the environment's prefix), and the
    # && chain is cut after the install
    pytest.param("pip-upgrade-split", id="1-pip-upgrade-before-the-install-split"),
    # BUILD_DEPS assigned earlier in the RUN, apt-get install $BUILD_DEPS, pip upgrade and download
    pytest.param("apt-deps-variable", id="2-variable-set-in-the-run"),
    # RUNs that use the copied files move down with the COPY, below the install: shell builtins
    # below a pip named by its path; chmod and sed below a virtualenv's pip (not on PATH), past a
    # step that stays; a carried step and an install RUN cut after the install
    pytest.param("carry-builtins", id="1-carried-builtins"),
    pytest.param("carry-venv-programs", id="1-carried-programs-venv-install"),
    pytest.param("carry-chain-split", id="1-carried-step-and-split-install"),
])
def test_rewrite_verifies(case, docker, index):
    report = verify_file(docker, PROJECTS / case / "Dockerfile", index=index, settings=DEPS)
    text = report.format()
    assert report.outcome == "changed", text
    assert report.status == "verified", text
    assert report.comparison.equal, text
    # after the code change the original runs its install again; the rewrite takes it from the cache
    assert any(not s.cached for s in report.original_rebuild.install_steps), text
    steps = report.rewritten_rebuild.install_steps
    assert steps and all(s.cached for s in steps), text
    # (the lab's index counts downloads of every build on the machine at that time, so a concurrent
    # build can show up in ``downloads``; the cached install step is what shows nothing was installed)
