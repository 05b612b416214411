"""Real builds of the moves DF001 and DF003 make (or refuse), one project per way a move can go
wrong (tests/integration/projects/soundness/<case>/).

For every case dockfix's output must build an image equal to the original's (files, contents,
owners, modes, config). Where dockfix leaves the file alone, ``naive.Dockerfile`` holds the move
made without the check (the rewrite dockfix made before it had the check): it must build a
different image, or fail to build, so the refusal is needed. A case dockfix rewrites may hold one
too (the rewrite an older dockfix made): it must differ from the original, where the new one does not.
"""

import shutil
from pathlib import Path

import pytest

from dockfix.dockerfile.model import Settings
from dockfix.cli.verify import build, compare_images, rewrite

pytestmark = pytest.mark.integration

PROJECTS = Path(__file__).parent / "projects" / "soundness"
DEPS = Settings(select=frozenset({"DF001", "DF003"}))
UNSAFE = Settings(select=frozenset({"DF001", "DF003"}), unsafe_fixes=True)

# case, settings, what dockfix must do ("rewrite", or the refusal's reason)
CASES = [
    pytest.param("pip-conf-home", DEPS, "rewrite", id="A-pip-conf-in-home"),
    pytest.param("pip-config-export", DEPS, "rewrite", id="A-pip-config-file-exported"),
    pytest.param("uv-parent-config", DEPS, "rewrite", id="A-uv-toml-in-parent"),
    pytest.param("base-workdir", DEPS, "may use the files of the COPY", id="D-base-image-workdir"),
    pytest.param("edited-manifest", DEPS, "rewrite", id="E-manifest-edited-after-copy"),
    pytest.param("usermod-chown", DEPS, "would resolve the names to other ids", id="E-usermod-after-chown"),
    pytest.param("symlink-workdir", DEPS, "puts the symlink src", id="E-workdir-through-symlink"),
    pytest.param("glob-include", DEPS, "holds a pattern character", id="E-pattern-in-manifest-name"),
    pytest.param("setup-py-filter", UNSAFE, "filters the lines it reads", id="F-setup-py-filters-requirements"),
    pytest.param("uv-workspace-path", DEPS, "not a workspace member", id="F-uv-path-source-outside-workspace"),
    # a step that uses the copied files, carried below the install without the checks
    pytest.param("carry-edits-manifest", DEPS, "the install at line 5 reads /app/requirements.txt", id="G-carried-step-edits-the-manifest"),
    pytest.param("carry-reads-passed-step", DEPS, "the RUN at line 6 writes /tmp/stamp", id="G-carried-step-reads-what-a-passed-step-writes"),
    # the lab's dockfix-lab-shadow wheel installs a console script named chmod into /usr/local/bin
    pytest.param("carry-shadowed-program", DEPS, "which it reads (/usr/local/bin/chmod)", id="G-carried-step-program-shadowed-by-the-install"),
    # 'sleep' is a program looked up on PATH, where the COPY puts a script named sleep: the step
    # moves down with the COPY (dockfix once took sleep for a builtin and moved the COPY past it)
    pytest.param("sleep-on-path", DEPS, "rewrite", id="G-program-on-path-copied-by-the-copy"),
]


def _build(docker, index, ctx: Path, dockerfile_text: bytes, where: Path, tag: str):
    dockerfile = where / f"{tag.rsplit('-', 1)[-1]}.Dockerfile"
    dockerfile.write_bytes(dockerfile_text)
    return build(docker, ctx, dockerfile, tag, index)


def _assert_naive_differs(docker, index, ctx, src, tmp_path, tag, original, images, case):
    naive = _build(docker, index, ctx, (src / "naive.Dockerfile").read_bytes(), tmp_path, f"{tag}-naive")
    images.append(naive.image)
    if naive.ok:
        comparison = compare_images(docker, original, naive.image)
        assert not comparison.equal, "the naive move builds the same image: the check is not needed"
        print(f"\n{case}: the naive move differs: {comparison.differences[:5]}")
    else:
        print(f"\n{case}: the naive move fails to build: {naive.error}")


@pytest.mark.parametrize("case, settings, expected", CASES)
def test_move(case, settings, expected, docker, index, tmp_path):
    src = PROJECTS / case
    ctx = tmp_path / "ctx"
    shutil.copytree(src, ctx, symlinks=True)
    original = (src / "Dockerfile").read_bytes()
    result = rewrite(original, ctx / "Dockerfile", ctx, settings)
    assert result.outcome in ("changed", "unchanged", "skipped"), result.error
    tag = f"dockfix-soundness:{case}"
    images = []
    try:
        first = _build(docker, index, ctx, original, tmp_path, f"{tag}-original")
        images.append(first.image)
        assert first.ok, first.log[-3000:]
        if result.outcome == "changed":
            # dockfix moved the COPY: the rewrite must build the same image
            second = _build(docker, index, ctx, result.patched, tmp_path, f"{tag}-rewritten")
            images.append(second.image)
            assert second.ok, f"the rewrite fails to build: {second.error}\n{result.patched.decode()}"
            comparison = compare_images(docker, first.image, second.image)
            assert comparison.equal, "the rewrite builds another image:\n" + "\n".join(comparison.differences[:20]) + "\n" + result.patched.decode()
            assert expected == "rewrite", f"dockfix rewrote a case it must leave alone ({expected})"
            if (src / "naive.Dockerfile").exists():
                _assert_naive_differs(docker, index, ctx, src, tmp_path, tag, first.image, images, case)
            return
        reasons = [s.reason for s in result.skips]
        assert expected != "rewrite", f"dockfix left the file alone: {reasons}"
        assert any(expected in r for r in reasons), reasons
        # ... and the refusal is needed: the move without the check changes the image or fails
        _assert_naive_differs(docker, index, ctx, src, tmp_path, tag, first.image, images, case)
    finally:
        docker.remove_images(*(f"{tag}-{n}" for n in ("original", "rewritten", "naive")), *filter(None, images))
