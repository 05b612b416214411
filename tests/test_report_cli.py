"""Reports through the console script: explanations beside each file's diff, --statistics (text and
JSON, refusals grouped by reason template), the unsafe-fix count in the summary, the github format,
`dockfix rules`, `--explain DF000/DF999` and `--show-settings`."""

import json
import os
import re
import subprocess
import sys

import pytest

from _paths import ROOT, fixture_cases
from dockfix.cli.report import reason_template

NAIVE = b"FROM python:3.11-slim\nWORKDIR /app\nCOPY . .\nRUN pip install --no-cache-dir -r requirements.txt\n"
APT = b"FROM python:3.12-slim\nRUN apt-get update && apt-get install -y gcc\n"  # DF004: unsafe only


def dockfix(*args, cwd, merge=False):
    env = dict(os.environ, NO_COLOR="1")
    p = subprocess.run([sys.executable, "-m", "dockfix", *args], cwd=cwd, capture_output=not merge, env=env,
                       stdout=subprocess.PIPE if merge else None, stderr=subprocess.STDOUT if merge else None)
    out = p.stdout.decode()
    err = "" if merge else p.stderr.decode()
    assert "Traceback" not in out + err, out + err
    return p.returncode, out, err


def tree(root, files: dict):
    for rel, data in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    return root


# --- item 10: explanations with each diff; --statistics ------------------------------------------


@pytest.mark.parametrize("jobs, files", [("1", 4), ("2", 25)])  # 25: above runner.MIN_PARALLEL, a process pool
def test_each_files_explanations_follow_its_diff(tmp_path, jobs, files):
    names = sorted(f"s{k:02d}" for k in range(files))
    tree(tmp_path, {**{f"{n}/Dockerfile": NAIVE for n in names}, **{f"{n}/requirements.txt": b"flask\n" for n in names}})
    code, out, _ = dockfix("-j", jobs, ".", cwd=tmp_path, merge=True)
    assert code == 0
    # one block per file: its diff, then its own explanations; the summary last
    blocks = re.findall(r"--- (\S+)\n\+\+\+ \S+\n(?:[ @+-].*\n)+((?:\1:\d+: .*\n)+)", out)
    assert [b[0] for b in blocks] == [f"{n}/Dockerfile" for n in names], out
    assert all("DF001 would fix" in b[1] and "DF002 would fix" in b[1] for b in blocks)
    assert out.endswith(f"{files} files would change.\n  DF001: {files} would fix\n  DF002: {files} would fix\n")


BASES = [b"golang:1.22@sha256:0d7a9b3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c", b"alpine:3.20",
         b"base", b"${BASE_IMAGE}", b"ghcr.io/acme/builder:latest", b"python:${PYTHON_VERSION}"]


def refusing_tree(tmp_path):
    files = {}
    for k, base in enumerate(BASES):
        arg = b"ARG BASE_IMAGE=x\nARG PYTHON_VERSION=3.12\n" if b"$" in base else b""
        files[f"r{k}/Dockerfile"] = arg + b"FROM " + base + b"\nRUN apt-get update && apt-get install -y gcc\n"
    files["users/a.Dockerfile"] = b"FROM python:3.11\nUSER app\nRUN pip install flask\n"
    files["users/b.Dockerfile"] = b"FROM python:3.11\nUSER bob\nRUN pip install flask\n"
    return tree(tmp_path, files)


def test_statistics_groups_refusals_by_reason_template_and_prints_only_its_table(tmp_path):
    refusing_tree(tmp_path)
    code, out, err = dockfix("--statistics", "--select", "DF002,DF004", ".", cwd=tmp_path)
    assert code == 0 and err == ""
    table, refusals = out.split("\nRefusals by reason:\n")
    assert [[c.strip() for c in line.split("\t")[:3]] for line in table.splitlines()] == [
        [str(len(BASES)), "DF004", "refused"], ["2", "DF002", "refused"]]
    rows = [line.split("\t") for line in refusals.splitlines()]
    assert rows == [
        [f"{len(BASES):6d}", "DF004", "the base image … is not known to be Debian or Ubuntu; no apt cache mount added"],
        ["     2", "DF002", "USER …: the user … is not created in this Dockerfile, so its uid and home are not known; no cache mount added"],
    ], refusals
    # an ordinary run does not print the table
    code, out, err = dockfix("--check", ".", cwd=tmp_path)
    assert "Refusals by reason" not in out + err and "left alone with reasons" in err


def test_statistics_as_json(tmp_path):
    jsonschema = pytest.importorskip("jsonschema")
    refusing_tree(tmp_path)
    tree(tmp_path, {"ok/Dockerfile": NAIVE, "ok/requirements.txt": b"flask\n"})
    code, out, err = dockfix("--statistics", "--format", "json", ".", cwd=tmp_path)
    assert code == 0 and err == ""
    doc = json.loads(out)
    schema = json.loads((ROOT / "docs" / "statistics.schema.json").read_text())
    jsonschema.validate(doc, schema, cls=jsonschema.Draft202012Validator)
    assert {(r["code"], r["status"]): r["count"] for r in doc["rules"]} == {
        ("DF001", "applied"): 1, ("DF002", "applied"): 1, ("DF002", "refused"): 2, ("DF004", "refused"): len(BASES)}
    top = doc["refusals"][0]
    assert (top["code"], top["count"]) == ("DF004", len(BASES))
    assert top["example"]["location"] == "r0/Dockerfile:2" and "golang:1.22@sha256:" in top["example"]["reason"]


def test_statistics_refuses_formats_it_cannot_print(tmp_path):
    tree(tmp_path, {"Dockerfile": NAIVE})
    code, out, err = dockfix("--statistics", "--format", "sarif", "Dockerfile", cwd=tmp_path)
    assert code == 2 and out == "" and err.startswith("error: --statistics prints text or json")


def fixture_reasons():
    from dockfix.api import fix_bytes

    from test_fixtures import load

    reasons = set()
    for case in fixture_cases():
        _, settings, context = load(case)
        reasons |= {s.reason for s in fix_bytes((case / "Dockerfile").read_bytes(), str(case / "Dockerfile"), context, settings).skips}
    return sorted(reasons)


def test_reason_templates_replace_whole_words_only():
    reasons = fixture_reasons()
    assert len(reasons) > 40
    for reason in reasons:
        template = reason_template(reason)
        words = set(re.findall(r"[\w-]+", reason))
        for word in re.findall(r"[\w-]+", template):
            assert word in words, (word, reason, template)  # no word is cut (no 'shaN:Nd…')
        assert not re.search(r"\d", template), template
        assert reason_template(template) == template  # stable


@pytest.mark.parametrize("reason, template", [
    ("the base image golang:1.22@sha256:0d7a is not known to be Debian or Ubuntu; no apt cache mount added",
     "the base image … is not known to be Debian or Ubuntu; no apt cache mount added"),
    ("the base image base is not known to be Debian or Ubuntu; no apt cache mount added",
     "the base image … is not known to be Debian or Ubuntu; no apt cache mount added"),
    ("the base image is a variable, so the user who runs the RUN is not known; no cache mount added",
     "the base image is a variable, so the user who runs the RUN is not known; no cache mount added"),
    ("the heredoc body defeats the cache ('rm -rf /var/lib/apt/lists/*', 'apt-get clean'); dockfix never edits heredoc bodies",
     "the heredoc body defeats the cache (…); dockfix never edits heredoc bodies"),
    ("'rm -rf /root/.cache' may delete a cache mount's folder (/root/.cache/*), which would fail the RUN",
     "… may delete a cache mount's folder (…), which would fail the RUN"),
    ("the RUN at line 12 runs 'make', which may use the files of the COPY at line 4",
     "the RUN at line … runs …, which may use the files of the COPY at line …"),
])
def test_reason_template_examples(reason, template):
    assert reason_template(reason) == template


# --- item 9: the summary counts unsafe fixes not applied ----------------------------------------


def test_summary_counts_unsafe_fixes_available(tmp_path):
    tree(tmp_path, {"a/Dockerfile": APT, "b/Dockerfile": APT, "c/Dockerfile": NAIVE, "c/requirements.txt": b"flask\n",
                    "d/Dockerfile": b"FROM python:3.11-slim\nCMD [\"python\"]\n"})
    code, _, err = dockfix("--check", ".", cwd=tmp_path)
    assert code == 1
    assert "1 file would change, 1 unchanged, 2 fixes available with `--unsafe-fixes`.\n" in err, err
    code, _, err = dockfix("--check", "a/Dockerfile", cwd=tmp_path)
    assert code == 0 and err.endswith("1 fix available with `--unsafe-fixes`.\n"), err
    code, _, err = dockfix("--check", "--unsafe-fixes", "a/Dockerfile", cwd=tmp_path)
    assert code == 1 and err.endswith("1 file would change.\n"), err


# --- item 11: github annotations, rules, explain pages, show-settings --------------------------


def test_github_annotations(tmp_path):
    tree(tmp_path, {"app/Dockerfile": NAIVE, "app/requirements.txt": b"flask\n", "apt/Dockerfile": APT,
                    "user/Dockerfile": b"FROM python:3.11\nUSER app\nRUN pip install flask\n",
                    "bad/Dockerfile": b"FROM python:3.11\nRUN echo \\\n"})
    (tmp_path / "bad" / "Dockerfile").write_bytes(b"FROM python\n\0")
    code, out, err = dockfix("--format", "github", "--check", ".", cwd=tmp_path)
    assert code == 2
    lines = out.splitlines()
    assert lines[0] == "::warning file=app/Dockerfile,line=3,title=dockfix DF001 (deps-first)::DF001 would fix: " \
        "copy requirements.txt and install before the COPY at line 3, which moves below the install at line 4"
    assert lines[1].startswith("::warning file=app/Dockerfile,line=4,title=dockfix DF002 (cache-mount)::DF002 would fix: ")
    assert lines[2].startswith("::warning file=apt/Dockerfile,line=2,title=dockfix DF004 (apt-cache-mount)::"
                               "DF004 unsafe fix available with --unsafe-fixes: ")
    assert lines[3].startswith("::error file=bad/Dockerfile,title=dockfix::bad/Dockerfile")
    assert lines[4].startswith("::notice file=user/Dockerfile,line=3,title=dockfix DF002 (cache-mount)::DF002 left alone: USER app")
    assert len(lines) == 5


def test_github_escapes_properties_and_data():
    from dockfix.dockerfile.model import FileResult, Skip

    r = FileResult("dir,x/a:b.Dockerfile", "skipped", skips=[Skip("DF002", "cache-mount", "50% of\nit", 2)])
    from dockfix.cli.report import to_github

    assert to_github([r], [], write=False) == (
        "::notice file=dir%2Cx/a%3Ab.Dockerfile,line=2,title=dockfix DF002 (cache-mount)::DF002 left alone: 50%25 of%0Ait\n")


def test_rules_lists_every_code(tmp_path):
    from dockfix.rules import ALL_RULES

    code, out, err = dockfix("rules", cwd=tmp_path)
    assert code == 0 and err == ""
    listed = [line.split()[0] for line in out.splitlines() if re.match(r"DF\d{3} ", line)]
    assert listed == [m.CODE for m in ALL_RULES] + ["DF000", "DF999"]
    assert dockfix("--explain", cwd=tmp_path)[1] == out
    code, out, _ = dockfix("rules", "--format", "json", cwd=tmp_path)
    assert [r["code"] for r in json.loads(out)] == listed
    code, out, err = dockfix("rules", "--format", "xml", cwd=tmp_path)
    assert code == 2 and out == "" and err.startswith("error: argument --format: invalid choice")


@pytest.mark.parametrize("code, title", [("DF000", "# DF000 ambiguous\n"), ("df999", "# DF999 internal\n")])
def test_explain_pseudo_codes(tmp_path, code, title):
    rc, out, err = dockfix("--explain", code, cwd=tmp_path)
    assert rc == 0 and out.startswith(title) and err == ""


def test_explain_unknown_code(tmp_path):
    rc, out, err = dockfix("--explain", "DF123", cwd=tmp_path)
    assert rc == 2 and out == "" and err.startswith("error: unknown rule code DF123 (known: DF001, DF003, DF002, DF004, DF000, DF999")


def test_show_settings(tmp_path):
    tree(tmp_path, {"svc/Dockerfile": NAIVE, "svc/.dockfix.toml": b'select = ["DF001"]\nexclude = ["old/"]\n', "top/Dockerfile": NAIVE})
    code, out, err = dockfix("--show-settings", "--ignore", "DF004", "svc/Dockerfile", "top", cwd=tmp_path)
    assert code == 0 and err == ""
    svc, top = out.split("top:\n")
    config = str(tmp_path / "svc" / ".dockfix.toml")
    assert f"  configuration: {config}\n" in svc
    assert re.search(rf'  select += \["DF001"\] +# {re.escape(config)}\n', svc)
    assert re.search(r'  ignore += \["DF004"\] +# command line\n', svc)
    assert re.search(r"  unsafe-fixes +=  *false +# default\n", svc)
    assert re.search(rf'  exclude += \["old/"\] +# {re.escape(config)}\n', svc)
    assert re.search(r'  builder += "auto" +# default\n', svc)
    assert "configuration: none found" in top and re.search(r'select += \["DF001", "DF003", "DF002", "DF004"\] +# default: all rules', top)
    code, out, _ = dockfix("--show-settings", "--no-config", "--unsafe-fixes", "--format", "json", "svc", cwd=tmp_path)
    doc = json.loads(out)["paths"][0]
    assert doc["config"] is None and doc["settings"]["select"] == ["DF001", "DF003", "DF002", "DF004"]
    assert doc["settings"]["unsafe-fixes"] is True and doc["sources"]["unsafe-fixes"] == "command line"
    code, out, _ = dockfix("--show-settings", "--builder", "Kaniko", "--format", "json", "svc", cwd=tmp_path)
    doc = json.loads(out)["paths"][0]
    assert doc["settings"]["builder"] == "kaniko" and doc["sources"]["builder"] == "command line"
    (tmp_path / "svc" / ".dockfix.toml").write_text("select = 3\n")
    code, out, err = dockfix("--show-settings", "svc", cwd=tmp_path)
    assert code == 2 and out == "" and err == f"error: {config}: select must be a list of rule codes\n"


def test_reports_name_the_package_version(tmp_path):
    from dockfix import __version__

    tree(tmp_path, {"Dockerfile": NAIVE, "requirements.txt": b"flask\n"})
    for fmt, find in (("json", lambda d: d["tool"]["version"]), ("sarif", lambda d: d["runs"][0]["tool"]["driver"]["version"])):
        code, out, _ = dockfix("--format", fmt, "Dockerfile", cwd=tmp_path)
        assert find(json.loads(out)) == __version__


# --- an unsafe fix that was asked for and failed verification is "dropped" ------------------------


def test_unsafe_fix_dropped_under_unsafe_fixes_is_not_called_available():
    from dockfix.dockerfile.model import Applicability, Fix, FileResult
    from dockfix.cli.report import _fixes, statistics_doc

    unsafe = Fix("DF004", "apt-cache-mount", "add the apt cache mounts", 2, (), Applicability.UNSAFE)
    asked = FileResult("Dockerfile", "unchanged", unapplied=[unsafe], unsafe_fixes_available=0)
    not_asked = FileResult("Dockerfile", "unchanged", unapplied=[unsafe], unsafe_fixes_available=1)
    assert _fixes(asked) == [(unsafe, "dropped")]
    assert _fixes(not_asked) == [(unsafe, "unsafe-not-applied")]
    statuses = {row["status"] for row in statistics_doc([asked])["rules"]}
    assert statuses == {"dropped"}
