"""Each rule's page agrees with its fixtures and lists every refusal case; pages ship in the
package, so they name no file of the repository (fixture paths, comments)."""

import re

import pytest

from dockfix.cli.report import PSEUDO_RULES
from dockfix.rules import ALL_RULES, page

from _paths import FIXTURES

EXAMPLE = re.compile(r"Before:\n\n```dockerfile\n(.*?)```\n\nAfter:\n\n```dockerfile\n(.*?)```", re.S)

# Each refusal fixture and the bullet of its rule's page ("When it leaves ... alone") that it shows.
REFUSALS = {
    'DF001/refuse-ambiguous': 'Exec form with trailing text reads differently across BuildKit versions',
    'DF001/refuse-chained-app-command': 'The install RUN also needs the app',
    'DF001/refuse-copy-into-dest': 'A later COPY overwrites part of the copied tree',
    'DF001/refuse-dockerignore': 'The manifest is ignored',
    'DF001/refuse-editable-local': '-e . needs the application',
    'DF001/refuse-exclude-flag': 'COPY flags dockfix does not carry',
    'DF001/refuse-include-outside': 'An include outside the context',
    'DF001/refuse-install-project': 'The same pip also installs the project (a later rule splits this)',
    'DF001/refuse-keyword-split': 'The COPY keyword is cut by a continuation',
    'DF001/refuse-local-path': 'A local path in requirements',
    'DF001/refuse-missing-manifest': 'Requirements.txt is not in the context',
    'DF001/refuse-outside-dest': 'The requirements file does not come from the broad COPY',
    'DF001/refuse-pip-env': 'Pip reads a file named by the environment',
    'DF001/refuse-root-clash': 'COPY . . into / with an etc/ folder in the context',
    'DF001/refuse-star-copy': 'COPY * copies folder contents flat',
    'DF001/refuse-step-reads-app': 'A step in between may read the copied files',
    'DF001/refuse-variable-path': 'A requirements path from a build argument',
    'DF001/refuse-volume-between': 'A `VOLUME` of a folder inside the copied tree',
    'DF001/refuse-step-writes-copied': 'A step in between writes below a folder the `COPY` also brings (`mkdir -p .data/x` when the context has `.data/`)',
    'DF001/refuse-manifest-copied-after-other-owner': 'The manifest `COPY` after the broad `COPY` has other `--chown`/`--chmod` flags (or puts the file elsewhere)',
    'DF001/refuse-subshell-part': 'The install is in a subshell that is only part of its `RUN`',
    'DF001/refuse-chain-or': 'The install `RUN` goes on with `||` or `;` (the rest runs when the install fails) and the rest needs the application',
    'DF001/refuse-relative-dest-json': 'A relative `COPY` destination, a `WORKDIR` between, and a `COPY` dockfix cannot write on one line with an absolute destination (JSON form, a continuation, quotes)',
    'DF001/refuse-step-dest-not-created': 'A step in between writes inside the destination, which nothing but the `COPY` creates before it',
    'DF001/refuse-workdir-chown': 'A `WORKDIR` below the destination of a `COPY --chown` would create a folder of the copied tree with another owner',
    'DF001/refuse-pipfile-path': 'A Pipfile entry with a local path or `editable = true`',
    'DF001/refuse-conda-pip-local': 'A conda environment whose `pip:` section installs a local path',
    'DF001/refuse-uv-pip-metadata': '`uv pip install -r pyproject.toml` reads the project metadata',
    'DF001/refuse-pipenv-packages': '`pipenv install PACKAGE` writes the Pipfile',
    'DF001/refuse-pipenv-relock': '`pipenv install` without `--deploy` (or `--ignore-pipfile`, `--skip-lock`) may lock again and write `Pipfile.lock` into the copied tree',
    'DF001/refuse-pip-user-into-tree': "`pip install --user` writes into `~/.local` inside the copied tree (the user's home is the destination)",
    'DF003/refuse-dynamic-deps': '`setup.py` computes its dependencies',
    'DF003/refuse-uv-pip-dynamic-deps': '`uv pip install .` where `setup.py` computes its dependencies',
    'DF003/refuse-written-step-drops': 'A written-out dependencies step installs a package the project no longer declares',
    'DF003/refuse-pip-local-file-option': 'A pip option names a local file (`-c constraints.txt`, `-r`, `--find-links ./wheels`) the dependencies step would not have',
    'DF003/refuse-missing-lock': 'No lock file in the context',
    'DF003/refuse-prefix-command': 'A command before the install in the same `RUN` cannot run twice',
    'DF003/refuse-step-reads-app': 'A step between the `COPY` and the install reads the application',
    'DF003/refuse-unknown-extra': 'The extra asked for does not exist',
    'DF003/refuse-uv-path-source': 'A `[tool.uv.sources]` path dependency',
    'DF003/refuse-venv-in-context': 'The context has a `.venv` the broad `COPY` would lay over the new one',
    'DF001/refuse-pip-user-env': '`PIP_USER` in the environment makes pip install into `~/.local`, inside the copied tree',
    'DF001/refuse-pip-config-arg': '`PIP_CONFIG_FILE` set by an `ARG` without a value: any file may be the configuration',
    'DF001/refuse-pip-config-export': '`PIP_CONFIG_FILE` set by `export` in the `RUN`, naming a `pip.conf` of the copied tree that reads local wheels',
    'DF001/refuse-pip-config-prefix': '`PIP_CONFIG_FILE=... pip install` names a `pip.conf` with a local constraint file',
    'DF001/refuse-pip-conf-home-unknown': "The user's home is not known, and the context has a `.pip/pip.conf` that may be its configuration",
    'DF001/refuse-pip-conf-xdg': '`$XDG_CONFIG_HOME/pip/pip.conf` in the copied tree sets `user`',
    'DF001/refuse-pip-conf-venv': '`$VIRTUAL_ENV/pip.conf` in the copied tree names a local path',
    'DF001/refuse-uv-config-local': '`[tool.uv]` of a `pyproject.toml` in a parent of the working directory names local wheels',
    'DF001/refuse-pipenv-dotenv': "pipenv's `.env` sets pip's variables",
    'DF001/refuse-condarc-local-channel': 'A `.condarc` in the home (inside the copied tree) names a local channel',
    'DF001/refuse-base-env-dest': 'The `COPY` destination is a variable the base image sets (`COPY . ${LAMBDA_TASK_ROOT}`): not known',
    'DF001/refuse-base-workdir': "No `WORKDIR`: the base image's working directory is not known, so an absolute path in a step between may be in the copied tree",
    'DF001/refuse-usermod-after-chown': '`usermod` between a `COPY --chown=NAME` and the install: the moved COPY would resolve the name to another id',
    'DF001/refuse-symlink-include': 'A manifest path goes through a symlink of the build context',
    'DF001/refuse-symlink-workdir': 'A `WORKDIR` between goes through a symlink the `COPY` puts there',
    'DF001/refuse-glob-include': "A manifest's file name holds a `COPY` pattern character (`*`, `?`, `[`)",
    'DF001/refuse-link-flag': '`COPY --link`',
    'DF001/refuse-uv-config-variable-dest': 'The destination is a build argument and the tree holds a `uv.toml`, which may land where uv reads its user or system configuration',
    'DF001/refuse-copy-variable-changes': 'A variable in the `COPY` destination is redefined before the install',
    'DF001/refuse-cache-in-tree': 'The installer writes its cache into the home, inside the copied tree, where the context has files',
    'DF001/refuse-pip-upgrade-local-path': '`pip install --upgrade ./pip` in the install `RUN` installs a folder of the copied tree',
    'DF001/refuse-pip-upgrade-home-conf': "The user's home is not known, and the tree has a `.pip/pip.conf` a `pip install -U pip` in the install `RUN` may read",
    'DF001/refuse-pip-upgrade-xdg': "`XDG_CONFIG_HOME` moves pip's configuration (into the copied tree)",
    'DF001/refuse-pip-local-index': '`pip install -i ./index`: a local folder laid out as an index',
    'DF001/refuse-apt-variable-reassigned-in-if': 'A variable assigned again inside an `if` before `apt-get install -y $BUILD_DEPS`: its value there is not known',
    'DF001/refuse-apt-variable-local-deb': 'A variable the `RUN` sets to a `.deb` of the copied tree',
    'DF001/refuse-apt-variable-after-or': 'A variable assigned after `||` (only when the command before it fails)',
    'DF001/refuse-default-form-base-env': '`COPY . ${APP_DIR:-/srv/app}/` where the file sets no `APP_DIR` (the base image may)',
    'DF001/refuse-default-form-arg': '`COPY . ${APP_DIR:-/srv/app}/` of an `ARG` (`--build-arg` may override it)',
    'DF001/refuse-step-pip-user-site': 'A `pip install -U pip` between, with the home not known, and a `.local` folder in the tree (a user site pip would see)',
    'DF001/refuse-install-user-site': "The tree brings the user's site (`~/.local` inside the destination), whose packages pip takes as installed",
    'DF001/refuse-step-loop-variable': 'A `for` loop in a step between sets a variable that `ENV` also sets (`for D in /app/src; do ...; done; rm -rf $D`)',
    'DF001/refuse-env-quoted-dollar': "A quoted or escaped `$` in an `ENV` value or a path (`ENV P='$D'`): a literal dollar, so the value is not known",
    'DF001/refuse-default-forms-differ': '`WORKDIR ${X:-/a}` and `COPY . ${X:-/b}` of an `ARG`: two forms of one unknown variable may name different folders',
    'DF001/refuse-carry-path-lookup': 'A step that uses the copied files runs `chmod`, looked up on `PATH`, where the install writes console scripts (`/usr/local/bin`): below the install it may run another program',
    'DF001/refuse-carry-edits-manifest': 'A step that uses the copied files edits the manifest the install reads (`echo click >> requirements.txt`)',
    'DF001/refuse-carry-pip-conf': "A step that uses the copied files writes pip's configuration (`/etc/pip.conf`), which the install reads",
    'DF001/refuse-carry-past-env': 'A step that uses the copied files would move past an `ENV` (or `ARG`, `WORKDIR`, `USER`, `SHELL`, `VOLUME`) on its way below the install',
    'DF001/refuse-carry-reads-passed-step': 'A step that uses the copied files reads a file a later step between rewrites (`/tmp/stamp`)',
    'DF001/refuse-carry-mount': 'A step that uses the copied files has a `--mount` (it could share a cache with the install)',
    'DF001/refuse-carry-uv': 'A step that uses the copied files, and an install whose writes dockfix does not model (`uv pip install`; only pip is modelled)',
    'DF001/refuse-carry-merged-usr': 'A step that uses the copied files runs `/bin/chmod`, and the install is a pip in `/usr/bin` that may write below `/usr` (`/bin` is `/usr/bin` on merged-usr systems)',
    'DF001/refuse-carry-into-prefix': 'A step that uses the copied files writes into the site-packages the install writes (a `.pth` file)',
    'DF001/refuse-carry-netrc': 'A step that uses the copied files writes `~/.netrc`, which pip reads for the index credentials',
    'DF001/refuse-carry-writes-outside-dest': 'A step that uses the copied files writes outside the destination of the `COPY` (`~/.pydistutils.cfg`), where the install may read more than dockfix lists',
    'DF001/refuse-carry-home-in-dest': "A step that uses the copied files, and the install's home is in the destination of the `COPY` (`WORKDIR /root`)",
    'DF001/refuse-carry-shell-on-path': '`SHELL ["bash", "-c"]` names the shell without a path: BuildKit finds it on `PATH`, where the install writes',
    'DF003/refuse-uv-workspace-path-source': 'A `[tool.uv.sources]` path that is not a workspace member: `--no-install-workspace` still installs it',
    'DF003/refuse-pdm-dev-path': 'A PDM dev group with a local (editable) path, installed unless `--prod`',
    'DF003/refuse-setup-py-filter': '`setup.py` filters the lines of the requirements file it reads',
    'DF003/refuse-pdm-python': '`.pdm-python` in the copied tree chooses the interpreter',
    'DF003/refuse-poetry-toml-path': '`poetry.toml` names a local folder',
    'DF003/refuse-uv-toml-local': '`uv.toml` names local wheels',
    'DF003/refuse-base-env-dest': 'The `COPY` destination is a variable the base image sets',
    'DF003/refuse-link-flag': '`COPY --link`',
    'DF003/refuse-usermod-after-chown': '`usermod` between a `COPY --chown=NAME` and the install',
    'DF003/refuse-unquoted-extras': 'An unquoted `.[extra]`: a shell pattern the shell replaces by a matching name (`.w`, `.e`) in the working directory',
    'DF003/refuse-poetry-core-old': 'A `[tool.poetry]` project whose build requirement may give a poetry-core older than 1.8, installed with `pip install .`',
    'DF003/refuse-poetry-tool-path-dep': 'A `[tool.poetry]` project with a local path dependency, installed with `pip install .`',
    'DF002/refuse-adduser-system-home': "A Debian system user's default home depends on the adduser version",
    'DF002/refuse-cache-dir-option': 'Pip is told to use another cache',
    'DF002/refuse-conda-clean-other': 'Conda clean that also cleans outside the package cache',
    'DF002/refuse-conda-non-root': 'Conda as a user the image does not give the root prefix',
    'DF002/refuse-conda-root-unknown': 'Where conda is installed is not known',
    'DF002/refuse-env-in-run': 'An assignment on the command line',
    'DF002/refuse-exec-form': 'Exec form RUN',
    'DF002/refuse-heredoc-no-cache': '--no-cache-dir inside a heredoc body',
    'DF002/refuse-no-cache-grouped': "Uv's -n grouped with other short options",
    'DF002/refuse-non-root': 'A non-root USER: the target is not certain (another rule handles it)',
    'DF002/refuse-old-frontend': 'A frontend without RUN --mount',
    'DF002/refuse-powershell': 'A Windows shell',
    'DF002/refuse-root-prefix-option': 'Micromamba told to use another root prefix',
    'DF002/refuse-unknown-cache-dir': 'UV_CACHE_DIR set to a value not known here',
    'DF002/refuse-unknown-user': 'A user the Dockerfile does not create',
    'DF002/refuse-user-variable': 'USER names a variable the file does not set',
    'DF002/refuse-uv-no-cache-exec-form': 'Removing ENV UV_NO_CACHE needs a mount on every RUN it affected: all or nothing',
    'DF002/refuse-variable-base': 'The base image is a variable: its user is not known',
    'DF002/refuse-rm-unresolved-path': "An `rm` of a path dockfix cannot resolve may delete the mount's folder, which fails the RUN",
    'DF002/refuse-rm-parent-of-cache': '`rm` of a folder that holds the mount target: a mount point cannot be removed',
    'DF002/refuse-unknown-base-image': 'A base image dockfix does not know may set USER and HOME (UBI/s2i: uid 1001, `HOME=/opt/app-root/src`)',
    'DF002/refuse-uv-link-mode-symlink': '`UV_LINK_MODE=symlink`: the environment would point into the hidden cache',
    'DF002/refuse-uv-link-mode-option': '`uv ... --link-mode symlink`',
    'DF002/refuse-uv-run-with': '`uv run --with ...`, `uv tool run`, `uvx`: the environment they build lives in the cache',
    'DF002/refuse-pdm-install-cache': '`pdm.toml` in the build context turns on `install.cache`',
    'DF002/refuse-pdm-install-cache-env': "`PDM_INSTALL_CACHE` turns on pdm's install cache",
    'DF002/refuse-poetry-toml-virtualenvs-path': '`poetry.toml` in the build context sets `virtualenvs.path`',
    'DF002/refuse-poetry-config-cache-dir': '`poetry config cache-dir ...` in the stage chain',
    'DF002/refuse-poetry-virtualenvs-path-env': '`POETRY_VIRTUALENVS_PATH` is set',
    'DF002/refuse-lower-layer-files': 'A removed `rm` would keep what an earlier RUN may have left in `~/.cache`',
    'DF002/refuse-lower-layer-copy': 'A removed purge would keep what an earlier COPY put in the cache',
    'DF002/refuse-same-run-writes': 'A removed `rm` would keep what another program of the same RUN writes into `~/.cache`',
    'DF002/refuse-non-root-home-not-made': 'A non-root user whose home is not made with the account (`useradd` without `-m`)',
    'DF002/refuse-non-root-home-unknown': "A non-root user whose `HOME` is not the account's known home",
    'DF002/refuse-non-root-cache-outside-home': "A non-root user's cache outside a folder known to belong to it",
    'DF002/refuse-non-root-cache-parent-of-root': 'An earlier instruction run as another user may have made `~/.cache`: the user could not make the cache folder, and the build would fail where pip only warns',
    'DF004/refuse-alpine': 'Not a Debian or Ubuntu base',
    'DF004/refuse-exec-form': 'Exec form RUN',
    'DF004/refuse-heredoc-clean': 'The list cleanup inside a heredoc body',
    'DF004/refuse-later-run-blocks-hook': 'Disabling docker-clean needs every later apt RUN of the stage to get the mounts',
    'DF004/refuse-no-update': 'Install without update in the same RUN',
    'DF004/refuse-non-root': 'Apt as a non-root user',
    'DF004/refuse-option': 'Apt told where its caches are',
    'DF004/refuse-unknown-base': 'A base image not known to be Debian or Ubuntu',
    'DF004/refuse-rm-parent-of-cache': '`rm -rf /var/cache/*` would try to delete the `/var/cache/apt` mount point and fail the RUN',
    'DF004/refuse-variable-tag': 'A base whose tag is only a build argument (`python:${PY}`): another value could name an Alpine image',
    'DF004/refuse-codename-unknown-user': 'A Debian tag on an image dockfix does not know: its `USER` may not be root',
}


def _pair(case):
    expected = case / "expected.Dockerfile"
    return (case / "Dockerfile").read_text(), expected.read_text() if expected.exists() else None


@pytest.mark.parametrize("rule", ALL_RULES, ids=[r.CODE for r in ALL_RULES])
def test_page_examples_are_fixtures(rule):
    text = page(rule.CODE)
    assert text.startswith(f"# {rule.CODE} {rule.NAME}\n")
    examples = EXAMPLE.findall(text)
    assert examples, "a page shows at least one before/after example"
    pairs = {_pair(case) for case in (FIXTURES / rule.CODE).iterdir() if (case / "Dockerfile").exists()}
    for before, after in examples:
        assert (before, after) in pairs, f"no fixture of {rule.CODE} has this example:\n{before}"


@pytest.mark.parametrize("rule", ALL_RULES, ids=[r.CODE for r in ALL_RULES])
def test_page_lists_every_refusal_fixture(rule):
    text = page(rule.CODE)
    bullets = re.findall(r"^- (.*)$", text.split("\n## When it leaves", 1)[1], re.M)
    cases = sorted(f"{rule.CODE}/{c.name}" for c in (FIXTURES / rule.CODE).glob("refuse-*"))
    assert cases and all(c in REFUSALS for c in cases), [c for c in cases if c not in REFUSALS]
    for case in cases:
        assert REFUSALS[case] in bullets, (case, REFUSALS[case])
    shown = {REFUSALS[c] for c in cases}
    assert [b for b in bullets if b not in shown] == [], "a refusal bullet without a fixture"


@pytest.mark.parametrize("code", [r.CODE for r in ALL_RULES] + list(PSEUDO_RULES))
def test_pages_name_no_file_an_installed_copy_lacks(code):
    text = page(code)
    assert "<!--" not in text
    assert not re.search(r"\b(fixtures|tests|scripts|docs|src|examples)/", text), re.findall(r"\S*(?:fixtures|tests|scripts|docs|src|examples)/\S*", text)


@pytest.mark.parametrize("rule", ALL_RULES, ids=[r.CODE for r in ALL_RULES])
def test_every_rule_has_changing_and_refusing_fixtures(rule):
    cases = list((FIXTURES / rule.CODE).iterdir())
    assert any((c / "expected.Dockerfile").exists() for c in cases)
    assert any(c.name.startswith("refuse-") for c in cases)
