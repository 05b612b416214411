"""verify against real builds: the README example verifies, and the comparison sees differences."""

from pathlib import Path

import pytest

from dockfix.cli.verify import verify_file

pytestmark = pytest.mark.integration

PIP_NAIVE = Path(__file__).parent / "projects" / "pip-naive"
README_EXAMPLE = Path(__file__).parents[2] / "examples" / "flask-app"

# A "rewrite" that is wrong in five ways: a stray file, a mode, an owner, a content change, a lost EXPOSE.
WRONG = b"""\
FROM python:3.11-slim
WORKDIR /app
COPY requirements.txt /
RUN pip install -r /requirements.txt
COPY . .
RUN chmod 600 app.py && chown 1:1 requirements.txt && echo "# edited" >> requirements.txt
CMD ["python", "app.py"]
"""


def test_comparison_reports_each_kind_of_difference(docker, index):
    report = verify_file(docker, PIP_NAIVE / "Dockerfile", rewritten=WRONG, index=index)
    assert report.status == "differs", report.format()
    assert set(report.comparison.differences) == {
        "config ExposedPorts: {'8000/tcp': {}} != None",
        "only in rewritten: /requirements.txt",
        "mode 0644 != 0600: /app/app.py",
        "content differs: /app/requirements.txt",
        "owner 0:0 != 1:1: /app/requirements.txt",
    }, report.format()


def test_unchanged_rewrite_is_equal_and_not_reused(docker, index):
    # The original itself as the "rewrite": equal images, and the install step is not reused.
    report = verify_file(docker, PIP_NAIVE / "Dockerfile", rewritten=(PIP_NAIVE / "Dockerfile").read_bytes(), index=index)
    assert report.status == "verified", report.format()
    assert report.comparison.equal
    assert report.install_reused is False
    assert report.rewritten_rebuild.downloads, report.format()


def test_readme_example_verifies(docker, index):
    report = verify_file(docker, README_EXAMPLE / "Dockerfile", index=index)
    text = report.format()
    status = report.status
    assert status == "verified", text
    original, rewritten = report.original_rebuild.downloads, report.rewritten_rebuild.downloads
    assert original and rewritten == [], text
