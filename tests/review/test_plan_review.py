"""`python -m tools.plan STACK --base REF`: the review of a change, in a real git repository.

Each test copies this checkout (its tracked and unignored files, as `git clone` of the branch
would see them plus uncommitted work) into a temporary repository, commits it, edits it, and runs
the plan command there, which plans the base in a temporary worktree of that repository.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.project.test_stacks import run_plan
from tools.offline import PROJECT_ROOT
from tools.review.render import MIN_VALUE, WIDTH

pytestmark = pytest.mark.slow

WHEELS = Path(".build") / "wheels"


def git(repo: Path, *arguments: str) -> str:
    result = subprocess.run(
        ["git", "-C", str(repo), "-c", "user.email=t@example.com", "-c", "user.name=t", *arguments],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


@pytest.fixture
def repo(tmp_path) -> Path:
    repo = tmp_path / "repo"
    files = git(PROJECT_ROOT, "ls-files", "-co", "--exclude-standard", "-z").split("\0")
    for name in filter(None, files):
        if (PROJECT_ROOT / name).is_file():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(PROJECT_ROOT / name, repo / name)
    # Lambda dependencies are cached by content: share the checkout's cache, download nothing.
    (PROJECT_ROOT / WHEELS).mkdir(parents=True, exist_ok=True)
    (repo / WHEELS).parent.mkdir(parents=True)
    os.symlink(PROJECT_ROOT / WHEELS, repo / WHEELS)
    git(repo, "init", "--quiet")
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "--message", "base")
    return repo


def plan(repo: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return run_plan(*arguments, cwd=repo)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new))


TREE_LINE = re.compile(r"^ (?P<mark>[-+~ ])   [│├└─ ]*(?P<type>\S+:\S+)\s+(?P<name>\S+)")


def marked(output: str, mark: str) -> list[str]:
    """Names of the resources the tree marks with `mark` (names repeat across components)."""
    matches = (TREE_LINE.match(line) for line in output.splitlines())
    return [match["name"] for match in matches if match and match["mark"] == mark]


def resources_line(output: str) -> str:
    return next(line for line in output.splitlines() if line.startswith("Resources:"))


def test_no_change_reports_nothing_to_create_update_or_delete(repo):
    result = plan(repo, "dev", "--base", "HEAD", "--no-policy")
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(
        r"Resources: \+ 0 to create, ~ 0 to update, - 0 to delete, \d+ unchanged",
        resources_line(result.stdout),
    )
    assert "compared with HEAD" in result.stdout
    assert re.search(r"Change against the base: (\$[\d,.]+) => \1 \(\+\$0\.00\)", result.stdout)


def test_a_config_change_marks_the_changed_resources_and_shows_their_properties(repo):
    stack_file = repo / "Pulumi.dev.yaml"
    edit(stack_file, "platform:apiAuthorization: NONE", "platform:apiAuthorization: AWS_IAM")
    edit(
        stack_file,
        "    - https://www.wikipedia.org\n",
        "    - https://www.wikipedia.org\n    - https://www.python.org\n",
    )
    result = plan(repo, "dev", "--base", "HEAD", "--diff", "--no-policy")
    assert result.returncode == 0, result.stderr
    assert {
        "md5-api-rest-api",
        "uptime-monitor-http-function",
        "uptime-monitor-scheduled-function",
    } <= set(marked(result.stdout, "~"))
    assert marked(result.stdout, "+") == [] and marked(result.stdout, "-") == []
    # Like `pulumi preview`: unchanged resources (the network's, say) are left out.
    assert "platform-flow-log" not in result.stdout.split("Outputs:")[0]
    updated = len(marked(result.stdout, "~"))
    assert f"~ {updated} to update" in resources_line(result.stdout)
    assert '+ environment.variables.SITES[2]: "https://www.python.org"' in result.stdout
    assert '+ body.paths["/md5"].post.security: [{"sigv4": []}]' in result.stdout
    # The new site's dashboard widgets, matched by title: no index shifts.
    assert '+ dashboardBody.widgets[title="Latency: https://www.python.org"]' in result.stdout
    assert "dashboardBody.widgets[4]" not in result.stdout
    assert [line for line in result.stdout.splitlines() if too_wide(line)] == []


# A property path: anything but quotes and colons, or JSON strings (`widgets[title="A: b"]`).
PROPERTY_LINE = re.compile(r'^ {9}[-+~] (?P<path>(?:[^":]|"(?:[^"\\]|\\.)*")+): ')


def too_wide(line: str) -> bool:
    """Wider than 100 columns, unless a property line whose path leaves no room for values."""
    if len(line) <= WIDTH:
        return False
    match = PROPERTY_LINE.match(line)
    return not match or match.end() + len(" => ") + 2 * MIN_VALUE < WIDTH


def test_code_and_config_changes_create_and_delete(repo):
    # The base has three zones (committed); the working tree goes back to two and changes code.
    stack_file = repo / "Pulumi.dev.yaml"
    edit(stack_file, "platform:availabilityZoneCount: 2", "platform:availabilityZoneCount: 3")
    git(repo, "commit", "--quiet", "--all", "--message", "three zones")
    edit(stack_file, "platform:availabilityZoneCount: 3", "platform:availabilityZoneCount: 2")
    edit(
        repo / "components" / "network" / "network.py",
        "enable_dns_hostnames=True",
        "enable_dns_hostnames=False",
    )
    result = plan(repo, "dev", "--base", "HEAD", "--diff", "--no-policy")
    assert result.returncode == 0, result.stderr
    deleted = marked(result.stdout, "-")
    assert {"platform-public-3", "platform-private-3"} <= set(deleted)
    assert "~ enableDnsHostnames: true => false" in result.stdout
    assert f"- {len(deleted)} to delete" in resources_line(result.stdout)
    # The base's worktree is gone again.
    assert git(repo, "worktree", "list").count("\n") == 1


def test_json_output_round_trips_as_a_base_plan(repo, tmp_path):
    saved = tmp_path / "plan.json"
    first = plan(repo, "dev", "--json", str(saved), "--no-policy")
    assert first.returncode == 0, first.stderr
    data = json.loads(saved.read_text())
    assert data["version"] == 1 and data["changes"] is None
    again = plan(repo, "dev", "--base-plan", str(saved), "--no-policy")
    assert again.returncode == 0, again.stderr
    assert "+ 0 to create, ~ 0 to update, - 0 to delete" in resources_line(again.stdout)


def test_an_unknown_ref_is_an_error_not_a_traceback(repo):
    result = plan(repo, "dev", "--base", "no-such-ref", "--no-policy")
    assert result.returncode == 2
    assert "no-such-ref" in result.stderr and "Traceback" not in result.stderr


def test_a_secret_stand_in_reaches_the_base_and_is_never_printed(repo, tmp_path):
    phone = "+15555550123"
    saved = tmp_path / "plan.json"
    result = plan(
        repo,
        "dev",
        "--base",
        "HEAD",
        "--secret",
        f"alertPhoneNumber={phone}",
        "--no-policy",
        "--diff",
        "--json",
        str(saved),
    )
    assert result.returncode == 0, result.stderr
    # Both sides plan the SMS subscription the phone number adds: nothing differs.
    assert "+ 0 to create, ~ 0 to update, - 0 to delete" in resources_line(result.stdout)
    assert phone not in result.stdout + result.stderr + saved.read_text()
    assert "[secret]" in saved.read_text()


def test_every_line_of_a_real_dev_review_fits_a_100_column_terminal(repo):
    result = plan(repo, "dev")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) > 200  # no base: the whole tree, the cost and the diagnostics
    assert [line for line in lines if too_wide(line)] == []


def test_two_runs_on_the_same_tree_print_the_same_text_and_write_the_same_json(repo, tmp_path):
    runs = []
    for attempt in ("first", "second"):
        saved = tmp_path / f"{attempt}.json"
        result = plan(repo, "dev", "--base", "HEAD", "--diff", "--json", str(saved))
        assert result.returncode == 0, result.stderr
        runs.append((result.stdout, saved.read_bytes()))
    (first_text, first_json), (second_text, second_json) = runs
    assert first_text == second_text
    assert first_json == second_json
    cost = json.loads(first_json)["cost"]
    assert cost["usageBased"] == sorted(cost["usageBased"], key=lambda u: (u["what"], u["urn"]))
