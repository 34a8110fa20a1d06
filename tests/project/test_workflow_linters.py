"""`make lint` audits .github/workflows with kept tools installed from PyPI as wheels: zizmor
(security: https://docs.zizmor.sh/audits/) and check-jsonschema's vendored GitHub workflow
schema. Each passes on the real workflows and fails on a copy that breaks what it checks."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tools.offline import PROJECT_ROOT

WORKFLOWS = PROJECT_ROOT / ".github" / "workflows"
ZIZMOR_CONFIG = PROJECT_ROOT / ".github" / "zizmor.yml"
BIN = Path(sys.executable).parent


def zizmor(directory: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "zizmor"), "--offline", "--no-progress", "--config", str(ZIZMOR_CONFIG)]
        + [str(directory)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def schema_check(directory: Path) -> subprocess.CompletedProcess[str]:
    files = sorted(str(path) for path in directory.glob("*.yml"))
    return subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *files],
        capture_output=True,
        text=True,
        timeout=120,
    )


def copy_with(tmp_path: Path, name: str, old: str, new: str) -> Path:
    copy = tmp_path / ".github" / "workflows"  # where zizmor collects workflows from
    shutil.copytree(WORKFLOWS, copy)
    text = (copy / name).read_text()
    assert old in text, f"{old!r} not in {name}"
    (copy / name).write_text(text.replace(old, new, 1))
    return copy


def test_make_lint_runs_zizmor_and_the_workflow_schema_and_no_fork():
    recipe = subprocess.run(
        ["make", "--no-print-directory", "-n", "-o", ".venv/.installed", "lint"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "zizmor --offline" in recipe and ".github/zizmor.yml" in recipe
    assert "check-jsonschema --builtin-schema vendor.github-workflows" in recipe
    assert "actionlint" not in recipe
    pins = [
        line.split("==")[0]
        for line in (PROJECT_ROOT / "requirements-dev.in").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    ]
    assert "zizmor" in pins and "check-jsonschema" in pins
    assert not [pin for pin in pins if "actionlint" in pin]


def test_the_workflows_pass_zizmor():
    result = zizmor(WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor_fails_on_an_action_pinned_only_to_a_tag(tmp_path):
    copy = copy_with(
        tmp_path,
        "deploy.yml",
        "actions/checkout@d23441a48e516b6c34aea4fa41551a30e30af803",
        "actions/checkout@v6",
    )
    result = zizmor(copy)
    assert result.returncode != 0 and "unpinned-uses" in result.stdout


def test_zizmor_fails_on_an_expression_expanded_into_a_shell(tmp_path):
    copy = copy_with(
        tmp_path,
        "pull-request.yml",
        "    steps:\n",
        '    steps:\n      - run: echo "${{ github.event.pull_request.title }}"\n',
    )
    result = zizmor(copy)
    assert result.returncode != 0 and "template-injection" in result.stdout


def test_the_workflows_match_the_github_workflow_schema():
    result = schema_check(WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_check_fails_on_a_misspelt_key(tmp_path):
    copy = copy_with(tmp_path, "deploy.yml", "runs-on:", "run-on:")
    result = schema_check(copy)
    assert result.returncode != 0 and "deploy.yml" in result.stdout
