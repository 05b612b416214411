"""The bulk API: run_paths over trees, in parallel, every file ending in one outcome."""

import os
import pickle

import pytest

from _repos import EXPECTED_CHANGES, FIXED, NAIVE, changed_files, make_tree, snapshot
from dockfix import runner
from dockfix.targets.config import Overrides
from dockfix.runner import Target, process, run_paths


def by_path(run, root):
    return {os.path.relpath(r.path, root): r for r in run.results}


@pytest.mark.parametrize("jobs", [pytest.param(1, id="serial"), pytest.param(2, id="pool")])
def test_tree_check_then_write(tmp_path, monkeypatch, jobs):
    monkeypatch.setattr(runner, "MIN_PARALLEL", 1)
    make_tree(tmp_path)
    before = snapshot(tmp_path)
    run = run_paths([str(tmp_path)], jobs=jobs)
    results = by_path(run, tmp_path)
    assert {p for p, r in results.items() if r.outcome == "changed"} == EXPECTED_CHANGES
    assert results["gamma/Containerfile"].outcome == "unchanged"
    assert snapshot(tmp_path) == before
    assert not run.failed
    run = run_paths([str(tmp_path)], jobs=jobs, write=True)
    assert changed_files(before, snapshot(tmp_path)) == EXPECTED_CHANGES
    assert run_paths([str(tmp_path)], jobs=jobs).changed == []


def test_contexts_are_reported(tmp_path):
    make_tree(tmp_path)
    results = by_path(run_paths([str(tmp_path)]), tmp_path)
    beta = results["beta/docker/Dockerfile"]
    assert beta.context == str(tmp_path / "beta") and beta.context_source == f"compose:{tmp_path / 'beta/compose.yaml'}"
    assert b"COPY requirements.txt ." in beta.patched
    alpha = results["alpha/Dockerfile"]
    assert alpha.context == str(tmp_path / "alpha") and alpha.context_source == "folder"
    cli = run_paths([str(tmp_path / "beta/docker/Dockerfile")], context=str(tmp_path)).results[0]
    assert cli.context_source == "cli" and cli.context == str(tmp_path)


@pytest.mark.parametrize(
    "build",
    [
        pytest.param("build: .\n", id="short-form"),
        pytest.param("build:\n      context: ..\n      dockerfile: app/Dockerfile\n", id="context-above"),
    ],
)
def test_compose_forms(tmp_path, build):
    (tmp_path / "app").mkdir()
    (tmp_path / "app/Dockerfile").write_bytes(NAIVE)
    (tmp_path / "app/requirements.txt").write_text("flask\n")
    (tmp_path / "requirements.txt").write_text("flask\n")
    compose = tmp_path / ("app/compose.yml" if build.startswith("build: .") else "deploy/docker-compose.yml")
    compose.parent.mkdir(exist_ok=True)
    compose.write_text("services:\n  web:\n    " + build)
    result = run_paths([str(tmp_path)]).results[0]
    assert result.context_source == f"compose:{compose}"
    assert result.context == str(tmp_path / "app" if build.startswith("build: .") else tmp_path)


def test_two_contexts_that_disagree_are_refused(tmp_path):
    (tmp_path / "docker").mkdir()
    (tmp_path / "docker/Dockerfile").write_bytes(NAIVE)
    (tmp_path / "requirements.txt").write_text("flask\n")
    (tmp_path / "compose.yaml").write_text(
        "services:\n  a:\n    build: {context: ., dockerfile: docker/Dockerfile}\n"
        "  b:\n    build: {context: docker}\n"
    )
    result = run_paths([str(tmp_path)]).results[0]
    assert result.outcome == "skipped" and "several contexts" in result.skips[0].reason


def test_a_failure_never_stops_the_others(tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "MIN_PARALLEL", 1)
    (tmp_path / "requirements.txt").write_text("flask\n")
    for k in range(6):
        (tmp_path / f"{k}.Dockerfile").write_bytes(NAIVE if k % 2 else b"FROM a\nRUN <<EOF\n")
    (tmp_path / ".dockfix.toml").write_text("")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad/.dockfix.toml").write_text("selekt = 1\n")
    (tmp_path / "bad/Dockerfile").write_bytes(NAIVE)
    run = run_paths([str(tmp_path)], jobs=2, write=True)
    outcomes = {r.path.rsplit("/", 1)[-1]: r.outcome for r in run.results}
    assert outcomes == {"0.Dockerfile": "failed", "1.Dockerfile": "changed", "2.Dockerfile": "failed", "3.Dockerfile": "changed",
                        "4.Dockerfile": "failed", "5.Dockerfile": "changed", "Dockerfile": "failed"}
    assert (tmp_path / "1.Dockerfile").read_bytes() == FIXED
    assert "unknown key selekt" in run.results[-1].error


def test_an_exception_in_one_file_is_one_line(tmp_path, monkeypatch):
    import dockfix.api

    def boom(*a, **k):
        raise RuntimeError("kaput\nmore")

    monkeypatch.setattr(dockfix.api, "fix_file", boom)
    result = process(Target(str(tmp_path / "Dockerfile"), Overrides().settings()))
    assert result.outcome == "failed" and result.error.endswith("internal error: RuntimeError: kaput")


def test_results_are_picklable(tmp_path):
    make_tree(tmp_path)
    for r in run_paths([str(tmp_path)]).results:
        assert pickle.loads(pickle.dumps(r)) == r


@pytest.mark.parametrize(
    "files, expected",
    [
        pytest.param(10, 1, id="few-files-one-process"),
        pytest.param(63, 1, id="below-the-threshold"),
        pytest.param(10_000, 4, id="many-files-every-core"),
        pytest.param(100, 3, id="each-worker-gets-enough-files"),
    ],
)
def test_default_jobs(monkeypatch, files, expected):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3}, raising=False)
    assert runner.default_jobs(files) == expected


def test_meets_setup_py_looks_in_each_context(tmp_path) -> None:
    from dockfix.runner import Target, _meets_setup_py

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "setup.py").write_text("from setuptools import setup\nsetup()\n")
    plain = Target(str(tmp_path / "a" / "Dockerfile"), None)
    assert not _meets_setup_py([plain])
    assert _meets_setup_py([plain, Target(str(tmp_path / "b" / "Dockerfile"), None)])
    assert _meets_setup_py([Target(str(tmp_path / "a" / "Dockerfile"), None, contexts=(str(tmp_path / "b"),))])
