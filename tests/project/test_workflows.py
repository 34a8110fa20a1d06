"""The delivery workflows keep their guarantees: nobody can quietly drop one of them.

Every rule is a function from the workflows in a directory to a list of problems. Each is run
on the real `.github/workflows/` (no problems), and once on a copy in a temporary directory that
breaks exactly that rule (the rule must notice). `make lint` runs actionlint on the same files.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.lambdas.packaging import LAMBDA_PYTHON_VERSION
from tools.offline import PROJECT_ROOT

WORKFLOWS = PROJECT_ROOT / ".github" / "workflows"
FORK_GUARD = "github.event.pull_request.head.repo.full_name == github.repository"
PULUMI_ACTION = "pulumi/actions"
AWS_CREDENTIALS_ACTION = "aws-actions/configure-aws-credentials"
PULUMI_RUN = re.compile(r"\bpulumi\s+(preview|up|update)\b")
POLICY_PACK_FLAG = re.compile(r"--policy-pack[= ]+(\./)?policies/?(\s|$)")
LONG_LIVED_KEYS = re.compile(
    r"AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|aws-access-key-id|aws-secret-access-key"
)
PINNED = re.compile(r"@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$")
GITHUB_SCRIPT = "actions/github-script"
UPLOAD_ARTIFACT = "actions/upload-artifact"
DOWNLOAD_ARTIFACT = "actions/download-artifact"
REVIEW_COMMAND = "python -m tools.review.comment"
# What the commenter's script must do with the artifact: (pattern, problem when missing).
REVIEW_SCRIPT_CHECKS = [
    (r"\.test\(number\)", "does not validate the pull request number it reads"),
    (r"head\.sha\s*!==\s*run\.head_sha", "does not check the pull request is at the tested commit"),
    (r"MAX_BODY", "does not limit the size of the comment"),
    (r"<!-- offline-review -->", "has no hidden marker to find its comment again"),
    (r"updateComment", "never edits its comment (one comment per pull request)"),
]
PREVIEW_ROLE = "vars.AWS_PREVIEW_ROLE_ARN"
PULUMI_AUTH_ACTION = "pulumi/auth-actions"
CLI_VERSION_FILE = PROJECT_ROOT / ".pulumi-version"
CLI_VERSION_OUTPUT = re.compile(r"^\$\{\{\s*steps\.(\w+)\.outputs\.version\s*\}\}$")


@dataclass
class Workflow:
    name: str
    text: str
    data: dict[str, Any]

    @property
    def triggers(self) -> dict[str, Any]:
        # YAML 1.1 reads the key `on` as the boolean true.
        on = self.data.get("on", self.data.get(True))
        if isinstance(on, str):
            return {on: None}
        if isinstance(on, list):
            return dict.fromkeys(on)
        return dict(on or {})

    @property
    def jobs(self) -> dict[str, dict[str, Any]]:
        return self.data.get("jobs") or {}

    @property
    def on_pull_requests(self) -> bool:
        return bool({"pull_request", "pull_request_target"} & set(self.triggers))


def load_workflows(directory: Path = WORKFLOWS) -> list[Workflow]:
    paths = sorted([*directory.glob("*.yml"), *directory.glob("*.yaml")])
    return [
        Workflow(path.name, path.read_text(), yaml.safe_load(path.read_text())) for path in paths
    ]


@dataclass
class PulumiStep:
    command: str  # preview / up
    step: dict[str, Any]
    index: int

    @property
    def inputs(self) -> dict[str, Any]:
        return self.step.get("with") or {}

    @property
    def stack(self) -> str:
        if self.step.get("uses"):
            return str(self.inputs.get("stack-name", ""))
        match = re.search(r"--stack[= ]+(\S+)", self.step.get("run", ""))
        return match.group(1) if match else ""

    def stacks(self, job: dict[str, Any]) -> set[str]:
        """The project stacks (dev, prod) this step touches, with a `matrix.stack` expanded."""
        if "matrix.stack" in self.stack:
            matrix = (job.get("strategy") or {}).get("matrix") or {}
            return {str(stack) for stack in matrix.get("stack") or []}
        return {name for name in ("dev", "prod") if re.search(rf"(^|/|')({name})\b", self.stack)}


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return job.get("steps") or []


def pulumi_steps(job: dict[str, Any]) -> list[PulumiStep]:
    found = []
    for index, step in enumerate(steps(job)):
        uses = str(step.get("uses", ""))
        if uses.startswith(PULUMI_ACTION + "@"):
            command = str((step.get("with") or {}).get("command", ""))
            if command in ("preview", "up", "update"):
                found.append(PulumiStep("up" if command == "update" else command, step, index))
        elif match := PULUMI_RUN.search(str(step.get("run", ""))):
            found.append(
                PulumiStep("up" if match.group(1) == "update" else match.group(1), step, index)
            )
    return found


def every_job(workflows: list[Workflow]) -> Iterator[tuple[Workflow, str, dict[str, Any]]]:
    for workflow in workflows:
        for job_id, job in workflow.jobs.items():
            yield workflow, job_id, job


def pulumi_jobs(workflows: list[Workflow]) -> Iterator[tuple[Workflow, str, dict[str, Any]]]:
    for workflow in workflows:
        for job_id, job in workflow.jobs.items():
            if pulumi_steps(job):
                yield workflow, job_id, job


def used_before_pulumi(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    """The steps of `job` that use `action` before its first pulumi step."""
    first = min(found.index for found in pulumi_steps(job))
    return [
        step for step in steps(job)[:first] if str(step.get("uses", "")).startswith(action + "@")
    ]


def truthy(value: object) -> bool:
    return value is True or str(value).strip().lower() == "true"


def permissions(job: dict[str, Any]) -> dict[str, str]:
    granted = job.get("permissions")
    return dict(granted) if isinstance(granted, dict) else {}


def environment_name(job: dict[str, Any]) -> str | None:
    environment = job.get("environment")
    if isinstance(environment, dict):
        return environment.get("name")
    return environment


def runs(job: dict[str, Any]) -> list[str]:
    return [" ".join(str(step.get("run", "")).split()) for step in steps(job)]


def job_text(job: dict[str, Any]) -> str:
    return yaml.safe_dump(job)


# --- the rules -------------------------------------------------------------------------------


def policy_pack_on_every_preview_and_up(workflows: list[Workflow]) -> list[str]:
    problems = []
    for workflow, job_id, job in pulumi_jobs(workflows):
        for found in pulumi_steps(job):
            where = f"{workflow.name}:{job_id} ({found.command})"
            if found.step.get("uses"):
                packs = str(found.inputs.get("policyPacks", "")).replace(",", " ").split()
                if not {"policies", "./policies", "policies/"} & set(packs):
                    problems.append(f"{where} does not pass `policyPacks: policies`")
            elif not POLICY_PACK_FLAG.search(found.step["run"]):
                problems.append(f"{where} does not pass `--policy-pack policies`")
            if (
                truthy(found.step.get("continue-on-error"))
                or truthy(found.inputs.get("continue-on-error"))
                or truthy(job.get("continue-on-error"))
            ):
                problems.append(f"{where} continues on error: a policy violation would not fail it")
    if not any(True for _ in pulumi_jobs(workflows)):
        problems.append("no workflow runs pulumi preview or pulumi up")
    return problems


def pull_request_preview_is_commented(workflows: list[Workflow]) -> list[str]:
    problems = []
    previews = [
        (workflow, job_id, job, found)
        for workflow, job_id, job in pulumi_jobs(workflows)
        if workflow.on_pull_requests
        for found in pulumi_steps(job)
        if found.command == "preview"
    ]
    if not previews:
        return ["no pull request workflow runs pulumi preview"]
    for workflow, job_id, job, found in previews:
        where = f"{workflow.name}:{job_id}"
        if not found.step.get("uses") or not truthy(found.inputs.get("comment-on-pr")):
            problems.append(f"{where} does not comment the preview on the pull request")
        if permissions(job).get("pull-requests") != "write":
            problems.append(f"{where} lacks `pull-requests: write` to comment")
    previewed = {stack for *_, job, found in previews for stack in found.stacks(job)}
    if missing := {"dev", "prod"} - previewed:
        problems.append(f"pull requests do not preview the {sorted(missing)} stack(s)")
    return problems


def no_long_lived_aws_keys(workflows: list[Workflow]) -> list[str]:
    return [
        f"{workflow.name} mentions long-lived AWS keys: {match.group(0)}"
        for workflow in workflows
        for match in LONG_LIVED_KEYS.finditer(workflow.text)
    ]


def cloud_jobs_use_oidc(workflows: list[Workflow]) -> list[str]:
    problems = []
    for workflow, job_id, job in pulumi_jobs(workflows):
        where = f"{workflow.name}:{job_id}"
        if permissions(job).get("id-token") != "write":
            problems.append(f"{where} lacks `id-token: write` for OpenID Connect")
        credentials = used_before_pulumi(job, AWS_CREDENTIALS_ACTION)
        if not credentials:
            problems.append(f"{where} assumes no AWS role before running pulumi")
        for step in credentials:
            role = str((step.get("with") or {}).get("role-to-assume", ""))
            if not re.fullmatch(r"\$\{\{\s*vars\.[A-Z0-9_]+\s*\}\}", role):
                problems.append(
                    f"{where} role-to-assume {role!r} is not a repository/environment variable"
                )
    return problems


def prod_deploys_only_through_protected_environment(workflows: list[Workflow]) -> list[str]:
    problems = []
    prod_deploys = [
        (workflow, job_id, job)
        for workflow, job_id, job in pulumi_jobs(workflows)
        if any(f.command == "up" and "prod" in f.stacks(job) for f in pulumi_steps(job))
    ]
    if not prod_deploys:
        problems.append("no job deploys the prod stack")
    for workflow, job_id, job in prod_deploys:
        if environment_name(job) != "prod":
            problems.append(
                f"{workflow.name}:{job_id} deploys prod outside the protected `prod` environment"
            )
    # Previews of prod (pull requests, drift checks) only with the read-only preview role.
    for workflow, job_id, job in pulumi_jobs(workflows):
        touches_prod = any("prod" in found.stacks(job) for found in pulumi_steps(job))
        if touches_prod and environment_name(job) != "prod" and PREVIEW_ROLE not in job_text(job):
            problems.append(f"{workflow.name}:{job_id} previews prod without {PREVIEW_ROLE}")
    for workflow, job_id, job in pulumi_jobs(workflows):
        ups = [found for found in pulumi_steps(job) if found.command == "up"]
        if ups and workflow.on_pull_requests:
            problems.append(f"{workflow.name}:{job_id} runs pulumi up on pull requests")
    return problems


def forks_skip_jobs_that_need_secrets(workflows: list[Workflow]) -> list[str]:
    problems = []
    for workflow in workflows:
        if "pull_request_target" in workflow.triggers:
            problems.append(f"{workflow.name} runs on pull_request_target (secrets for forks)")
        if not workflow.on_pull_requests:
            continue
        for job_id, job in workflow.jobs.items():
            needs_secrets = "secrets." in job_text(job) or permissions(job).get("id-token")
            guard = " ".join(str(job.get("if", "")).split())
            if needs_secrets and FORK_GUARD not in guard:
                problems.append(
                    f"{workflow.name}:{job_id} needs secrets or OIDC but runs for forks "
                    f"(add `if: {FORK_GUARD}`)"
                )
    return problems


def gate_runs_for_every_pull_request(workflows: list[Workflow]) -> list[str]:
    problems = []
    wanted = ("make test-all", "make plan", "make plan STACK=prod")
    pull_request_workflows = [w for w in workflows if w.on_pull_requests]
    if not pull_request_workflows:
        return ["no workflow runs on pull requests"]
    for workflow in pull_request_workflows:
        gates = [
            job
            for job in workflow.jobs.values()
            if "if" not in job and all(command in runs(job) for command in wanted)
        ]
        if not gates:
            problems.append(
                f"{workflow.name}: no unconditional job runs {', '.join(wanted)} "
                "(forks must still be tested)"
            )
    for workflow, job_id, job in pulumi_jobs(workflows):
        # Code reaches the cloud through pull requests and pushes; scheduled checks only read.
        if {"pull_request", "push"} & set(workflow.triggers) and not _needs_gate(
            workflow, job, wanted
        ):
            problems.append(f"{workflow.name}:{job_id} does not wait for the tests and plan gate")
    return problems


def _needs_gate(workflow: Workflow, job: dict[str, Any], wanted: tuple[str, ...]) -> bool:
    needs = job.get("needs") or []
    for name in [needs] if isinstance(needs, str) else needs:
        upstream = workflow.jobs.get(name, {})
        if all(command in runs(upstream) for command in wanted):
            return True
        if _needs_gate(workflow, upstream, wanted):
            return True
    return False


def deploys_of_a_stack_never_overlap(workflows: list[Workflow]) -> list[str]:
    problems = []
    groups: dict[str, str] = {}
    for workflow, job_id, job in pulumi_jobs(workflows):
        for found in pulumi_steps(job):
            if found.command != "up":
                continue
            where = f"{workflow.name}:{job_id}"
            concurrency = job.get("concurrency")
            group = concurrency.get("group") if isinstance(concurrency, dict) else concurrency
            stack = found.stack
            stack_name = "prod" if re.search(r"\bprod\b", stack) else "dev"
            if not group or stack_name not in str(group):
                problems.append(f"{where} has no concurrency group for stack {stack_name}")
                continue
            if isinstance(concurrency, dict) and truthy(concurrency.get("cancel-in-progress")):
                problems.append(f"{where} would cancel a deploy in progress")
            if groups.setdefault(stack_name, str(group)) != str(group):
                problems.append(f"{where} uses another concurrency group for {stack_name}")
    return problems


def least_privilege_permissions(workflows: list[Workflow]) -> list[str]:
    problems = []
    for workflow in workflows:
        top = workflow.data.get("permissions")
        if top is None or (isinstance(top, dict) and "write" in top.values()) or top == "write-all":
            problems.append(f"{workflow.name}: top-level permissions must be empty or read-only")
        for job_id, job in workflow.jobs.items():
            where = f"{workflow.name}:{job_id}"
            if "permissions" not in job:
                problems.append(f"{where} has no explicit permissions")
                continue
            granted = permissions(job)
            uses = [str(step.get("uses", "")) for step in steps(job)]
            if granted.get("id-token") == "write" and not any(
                use.startswith(AWS_CREDENTIALS_ACTION) for use in uses
            ):
                problems.append(f"{where} asks for id-token: write without using it")
            comments = any(
                truthy((step.get("with") or {}).get("comment-on-pr")) or _posts_comment(step)
                for step in steps(job)
            )
            if granted.get("pull-requests") == "write" and not comments:
                problems.append(f"{where} asks for pull-requests: write without commenting")
            extra = {k for k, v in granted.items() if v == "write"} - {"id-token", "pull-requests"}
            if extra:
                problems.append(f"{where} asks for write access it does not need: {sorted(extra)}")
    return problems


def actions_are_pinned(workflows: list[Workflow]) -> list[str]:
    return [
        f"{workflow.name}:{job_id} uses {step['uses']} (pin a major version or a commit SHA)"
        for workflow, job_id, job in every_job(workflows)
        for step in steps(job)
        if "uses" in step
        and not str(step["uses"]).startswith("./")
        and not PINNED.search(str(step["uses"]))
    ]


def _posts_comment(step: dict[str, Any]) -> bool:
    script = str((step.get("with") or {}).get("script", ""))
    return str(step.get("uses", "")).startswith(GITHUB_SCRIPT + "@") and (
        "createComment" in script or "updateComment" in script
    )


def review_is_commented_without_running_pull_request_code(workflows: list[Workflow]) -> list[str]:
    """The offline review of every pull request (forks too) is computed and posted apart.

    GitHub's advice for untrusted pull requests: run their code under `pull_request` (read-only
    token), pass results as an artifact, and write from a `workflow_run` that never executes
    the artifact. So: an unconditional pull request job uploads the review with no write access;
    a workflow_run of that workflow downloads it from the triggering run, checks nothing out,
    runs no shell, validates the pull request number, limits the body and finds its comment by
    a hidden marker to edit it.
    """
    problems = []
    computing = [
        (workflow, job_id, job)
        for workflow in workflows
        if workflow.on_pull_requests
        for job_id, job in workflow.jobs.items()
        if any(REVIEW_COMMAND in " ".join(str(step.get("run", "")).split()) for step in steps(job))
    ]
    if not computing:
        return [f"no pull request job runs `{REVIEW_COMMAND}`"]
    for workflow, job_id, job in computing:
        where = f"{workflow.name}:{job_id}"
        if "if" in job:
            problems.append(f"{where} is conditional: pull requests from forks get no review")
        if any(value == "write" for value in permissions(job).values()):
            problems.append(f"{where} runs pull request code with a token that can write")
        if not any(
            str(step.get("uses", "")).startswith(UPLOAD_ARTIFACT + "@") for step in steps(job)
        ):
            problems.append(f"{where} does not hand the review over as an artifact")
    names = {str(workflow.data.get("name", "")) for workflow, _, _ in computing}
    commenters = [
        workflow
        for workflow in workflows
        if "workflow_run" in workflow.triggers
        and names & set((workflow.triggers["workflow_run"] or {}).get("workflows", []))
    ]
    if not commenters:
        return [*problems, "no workflow_run workflow comments the review"]
    for workflow in commenters:
        for job_id, job in workflow.jobs.items():
            where = f"{workflow.name}:{job_id}"
            uses = [str(step.get("uses", "")) for step in steps(job)]
            if any(use.startswith("actions/checkout@") for use in uses):
                problems.append(f"{where} checks code out in a run that can write")
            if any("run" in step for step in steps(job)):
                problems.append(f"{where} runs a shell over untrusted artifact content")
            downloads = [
                step
                for step in steps(job)
                if str(step.get("uses", "")).startswith(DOWNLOAD_ARTIFACT + "@")
            ]
            if not any(
                "github.event.workflow_run.id" in str((step.get("with") or {}).get("run-id", ""))
                for step in downloads
            ):
                problems.append(f"{where} does not download the artifact of the triggering run")
            scripts = " ".join(
                str((step.get("with") or {}).get("script", ""))
                for step in steps(job)
                if _posts_comment(step)
            )
            if not scripts:
                problems.append(f"{where} posts no comment")
                continue
            for needed, why in REVIEW_SCRIPT_CHECKS:
                if not re.search(needed, scripts):
                    problems.append(f"{where} {why}")
            if "${{" in scripts:
                problems.append(f"{where} interpolates expressions into its script")
    return problems


def pulumi_cli_is_pinned_in_one_file(workflows: list[Workflow]) -> list[str]:
    """Every pulumi/actions step installs the CLI version `.pulumi-version` holds."""
    problems = []
    version = CLI_VERSION_FILE.read_text().strip() if CLI_VERSION_FILE.exists() else ""
    sdk = re.search(r"^pulumi==(\S+)", (PROJECT_ROOT / "requirements.in").read_text(), re.M)
    if not re.fullmatch(r"\d+\.\d+\.\d+", version) or not sdk or sdk.group(1) != version:
        problems.append(f".pulumi-version {version!r} is not the SDK's version (requirements.in)")
    for workflow, job_id, job in pulumi_jobs(workflows):
        for found in pulumi_steps(job):
            where = f"{workflow.name}:{job_id}"
            match = CLI_VERSION_OUTPUT.match(str(found.inputs.get("pulumi-version", "")))
            reader = next((st for st in steps(job) if match and st.get("id") == match.group(1)), {})
            if not found.step.get("uses") or ".pulumi-version" not in str(reader.get("run", "")):
                problems.append(f"{where} does not install the CLI version of .pulumi-version")
    return problems


def pulumi_cloud_login_by_oidc(workflows: list[Workflow]) -> list[str]:
    """No long-lived Pulumi token: pulumi/auth-actions exchanges the job's OIDC token."""
    problems = [
        f"{workflow.name} reads a stored Pulumi access token"
        for workflow in workflows
        if "secrets.PULUMI_ACCESS_TOKEN" in workflow.text
    ]
    for workflow, job_id, job in pulumi_jobs(workflows):
        if not used_before_pulumi(job, PULUMI_AUTH_ACTION):
            problems.append(f"{workflow.name}:{job_id} does not log in to Pulumi Cloud by OIDC")
    return problems


def drift_is_checked_per_stack(workflows: list[Workflow]) -> list[str]:
    checked: set[str] = set()
    for workflow, _, job in pulumi_jobs(workflows):
        if "schedule" not in workflow.triggers or truthy(job.get("continue-on-error")):
            continue
        for found in pulumi_steps(job):
            refresh = truthy(found.inputs.get("refresh")) or "--refresh" in found.step.get(
                "run", ""
            )
            strict = truthy(found.inputs.get("expect-no-changes")) or (
                "--expect-no-changes" in found.step.get("run", "")
            )
            if found.command == "preview" and refresh and strict:
                checked |= found.stacks(job)
    missing = {"dev", "prod"} - checked
    return [f"no scheduled drift check of {sorted(missing)}"] if missing else []


def installs_use_the_hashed_locks(workflows: list[Workflow]) -> list[str]:
    return [
        f"{workflow.name}:{job_id} runs `{command}` (install with `make install`: hashed locks)"
        for workflow, job_id, job in every_job(workflows)
        for command in runs(job)
        if re.search(r"\bpip3? install\b", command) and "--require-hashes" not in command
    ]


def lambda_python_for_the_tests(workflows: list[Workflow]) -> list[str]:
    problems = []
    for workflow in workflows:
        for job_id, job in workflow.jobs.items():
            if "make test-all" not in runs(job):
                continue
            versions = [
                str((step.get("with") or {}).get("python-version", "")).split()
                for step in steps(job)
                if str(step.get("uses", "")).startswith("actions/setup-python@")
            ]
            if not any(LAMBDA_PYTHON_VERSION in found for found in versions):
                problems.append(
                    f"{workflow.name}:{job_id} runs the tests without Python "
                    f"{LAMBDA_PYTHON_VERSION} (Lambda's runtime) for the archive import test"
                )
    return problems


RULES: list[Callable[[list[Workflow]], list[str]]] = [
    policy_pack_on_every_preview_and_up,
    pull_request_preview_is_commented,
    no_long_lived_aws_keys,
    cloud_jobs_use_oidc,
    prod_deploys_only_through_protected_environment,
    forks_skip_jobs_that_need_secrets,
    gate_runs_for_every_pull_request,
    deploys_of_a_stack_never_overlap,
    least_privilege_permissions,
    actions_are_pinned,
    review_is_commented_without_running_pull_request_code,
    pulumi_cli_is_pinned_in_one_file,
    pulumi_cloud_login_by_oidc,
    drift_is_checked_per_stack,
    installs_use_the_hashed_locks,
    lambda_python_for_the_tests,
]


@pytest.fixture(scope="module")
def workflows() -> list[Workflow]:
    return load_workflows()


def test_there_is_a_pull_request_and_a_deploy_workflow(workflows):
    triggers = [set(workflow.triggers) for workflow in workflows]
    assert any("pull_request" in found for found in triggers)
    pushes = [w for w in workflows if "push" in w.triggers]
    assert any("main" in (w.triggers["push"] or {}).get("branches", []) for w in pushes)


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.__name__)
def test_the_workflows_keep_the_rule(workflows, rule):
    assert rule(workflows) == []


# --- each rule notices when its guarantee is dropped -----------------------------------------


def _job(workflows: list[Workflow], job_id: str) -> dict[str, Any]:
    return next(w.jobs[job_id] for w in workflows if job_id in w.jobs)


def _pulumi_step(workflows: list[Workflow], job_id: str) -> dict[str, Any]:
    return pulumi_steps(_job(workflows, job_id))[0].step


def _drop_policy_pack(ws):
    del _pulumi_step(ws, "up-dev")["with"]["policyPacks"]


def _continue_on_error(ws):
    _pulumi_step(ws, "preview")["continue-on-error"] = True


def _run_pulumi_up_without_policy_pack(ws):
    _job(ws, "up-prod")["steps"].append({"run": "pulumi up --stack prod --yes"})


def _no_comment(ws):
    _pulumi_step(ws, "preview")["with"]["comment-on-pr"] = False


def _long_lived_keys(ws):
    _pulumi_step(ws, "up-dev")["env"]["AWS_ACCESS_KEY_ID"] = "${{ secrets.AWS_ACCESS_KEY_ID }}"


def _no_id_token(ws):
    del _job(ws, "up-prod")["permissions"]["id-token"]


def _hard_coded_role(ws):
    step = next(
        s for s in _job(ws, "up-dev")["steps"] if AWS_CREDENTIALS_ACTION in s.get("uses", "")
    )
    step["with"]["role-to-assume"] = "arn:aws:iam::123456789012:role/deploy"


def _no_credentials_step(ws):
    job = _job(ws, "preview")
    job["steps"] = [s for s in job["steps"] if AWS_CREDENTIALS_ACTION not in s.get("uses", "")]


def _prod_without_environment(ws):
    del _job(ws, "up-prod")["environment"]


def _up_on_pull_requests(ws):
    _pulumi_step(ws, "preview")["with"]["command"] = "up"


def _preview_runs_for_forks(ws):
    del _job(ws, "preview")["if"]


def _pull_request_target(ws):
    workflow = next(w for w in ws if "preview" in w.jobs)
    workflow.data["on"] = {"pull_request_target": {"branches": ["main"]}}
    workflow.data.pop(True, None)


def _no_prod_plan_gate(ws):
    job = _job(ws, "checks")
    job["steps"] = [s for s in job["steps"] if s.get("run") != "make plan STACK=prod"]


def _deploy_without_gate(ws):
    del _job(ws, "up-dev")["needs"]


def _no_concurrency(ws):
    del _job(ws, "up-prod")["concurrency"]


def _cancel_deploy_in_progress(ws):
    _job(ws, "up-dev")["concurrency"]["cancel-in-progress"] = True


def _write_all(ws):
    _job(ws, "checks")["permissions"] = {"contents": "write"}


def _no_job_permissions(ws):
    del _job(ws, "up-dev")["permissions"]


def _unpinned_action(ws):
    _pulumi_step(ws, "preview")["uses"] = "pulumi/actions@main"


def _review_job_can_write(ws):
    _job(ws, "review")["permissions"]["pull-requests"] = "write"


def _review_only_for_branches(ws):
    _job(ws, "review")["if"] = FORK_GUARD


def _review_not_uploaded(ws):
    job = _job(ws, "review")
    job["steps"] = [s for s in job["steps"] if UPLOAD_ARTIFACT not in s.get("uses", "")]


def _commenter_checks_out_code(ws):
    _job(ws, "comment")["steps"].insert(0, {"uses": "actions/checkout@v6"})


def _commenter_runs_a_shell(ws):
    _job(ws, "comment")["steps"].append({"run": 'cat "$REVIEW_DIR/comment.md"'})


def _commenter_downloads_its_own_run(ws):
    step = next(s for s in _job(ws, "comment")["steps"] if DOWNLOAD_ARTIFACT in s.get("uses", ""))
    del step["with"]["run-id"]


def _edit_script(ws, old, new):
    step = next(s for s in _job(ws, "comment")["steps"] if GITHUB_SCRIPT in s.get("uses", ""))
    assert old in step["with"]["script"]
    step["with"]["script"] = step["with"]["script"].replace(old, new)


def _commenter_trusts_the_number(ws):
    _edit_script(ws, ".test(number)", ".length")


def _commenter_skips_the_head_check(ws):
    _edit_script(ws, "pull.head.sha !== run.head_sha", "false")


def _commenter_posts_any_size(ws):
    _edit_script(ws, "MAX_BODY", "Infinity")


def _commenter_repeats_its_comment(ws):
    _edit_script(ws, "updateComment", "createComment")


def _commenter_interpolates(ws):
    _edit_script(
        ws,
        "const MARKER",
        "const branch = '${{ github.event.workflow_run.head_branch }}';\nconst MARKER",
    )


def _no_workflow_run_commenter(ws):
    workflow = next(w for w in ws if "comment" in w.jobs)
    workflow.data["on"] = {"workflow_dispatch": None}
    workflow.data.pop(True, None)


def _preview_dev_only(ws):
    _job(ws, "preview")["strategy"]["matrix"]["stack"] = ["dev"]


def _prod_preview_with_deploy_role(ws):
    step = next(
        s for s in _job(ws, "preview")["steps"] if AWS_CREDENTIALS_ACTION in s.get("uses", "")
    )
    step["with"]["role-to-assume"] = "${{ vars.AWS_DEPLOY_ROLE_ARN }}"


def _floating_cli(ws):
    del _pulumi_step(ws, "up-prod")["with"]["pulumi-version"]


def _stored_pulumi_token(ws):
    _pulumi_step(ws, "up-dev")["env"]["PULUMI_ACCESS_TOKEN"] = "${{ secrets.PULUMI_ACCESS_TOKEN }}"


def _no_pulumi_login(ws):
    job = _job(ws, "drift")
    job["steps"] = [s for s in job["steps"] if PULUMI_AUTH_ACTION not in s.get("uses", "")]


def _drift_without_expect_no_changes(ws):
    del _pulumi_step(ws, "drift")["with"]["expect-no-changes"]


def _drift_of_dev_only(ws):
    _job(ws, "drift")["strategy"]["matrix"]["stack"] = ["dev"]


def _unhashed_install(ws):
    _job(ws, "checks")["steps"].insert(0, {"run": "pip install -r requirements.txt"})


def _tests_without_lambda_python(ws):
    setup = next(s for s in _job(ws, "checks")["steps"] if "setup-python" in s.get("uses", ""))
    setup["with"]["python-version"] = "3.11"


BREAKAGES = [
    (policy_pack_on_every_preview_and_up, _drop_policy_pack),
    (policy_pack_on_every_preview_and_up, _continue_on_error),
    (policy_pack_on_every_preview_and_up, _run_pulumi_up_without_policy_pack),
    (pull_request_preview_is_commented, _no_comment),
    (no_long_lived_aws_keys, _long_lived_keys),
    (cloud_jobs_use_oidc, _no_id_token),
    (cloud_jobs_use_oidc, _hard_coded_role),
    (cloud_jobs_use_oidc, _no_credentials_step),
    (prod_deploys_only_through_protected_environment, _prod_without_environment),
    (prod_deploys_only_through_protected_environment, _up_on_pull_requests),
    (forks_skip_jobs_that_need_secrets, _preview_runs_for_forks),
    (forks_skip_jobs_that_need_secrets, _pull_request_target),
    (gate_runs_for_every_pull_request, _no_prod_plan_gate),
    (gate_runs_for_every_pull_request, _deploy_without_gate),
    (deploys_of_a_stack_never_overlap, _no_concurrency),
    (deploys_of_a_stack_never_overlap, _cancel_deploy_in_progress),
    (least_privilege_permissions, _write_all),
    (least_privilege_permissions, _no_job_permissions),
    (actions_are_pinned, _unpinned_action),
    (review_is_commented_without_running_pull_request_code, _review_job_can_write),
    (review_is_commented_without_running_pull_request_code, _review_only_for_branches),
    (review_is_commented_without_running_pull_request_code, _review_not_uploaded),
    (review_is_commented_without_running_pull_request_code, _commenter_checks_out_code),
    (review_is_commented_without_running_pull_request_code, _commenter_runs_a_shell),
    (review_is_commented_without_running_pull_request_code, _commenter_downloads_its_own_run),
    (review_is_commented_without_running_pull_request_code, _commenter_trusts_the_number),
    (review_is_commented_without_running_pull_request_code, _commenter_skips_the_head_check),
    (review_is_commented_without_running_pull_request_code, _commenter_posts_any_size),
    (review_is_commented_without_running_pull_request_code, _commenter_repeats_its_comment),
    (review_is_commented_without_running_pull_request_code, _commenter_interpolates),
    (review_is_commented_without_running_pull_request_code, _no_workflow_run_commenter),
    (pull_request_preview_is_commented, _preview_dev_only),
    (prod_deploys_only_through_protected_environment, _prod_preview_with_deploy_role),
    (pulumi_cli_is_pinned_in_one_file, _floating_cli),
    (pulumi_cloud_login_by_oidc, _stored_pulumi_token),
    (pulumi_cloud_login_by_oidc, _no_pulumi_login),
    (drift_is_checked_per_stack, _drift_without_expect_no_changes),
    (drift_is_checked_per_stack, _drift_of_dev_only),
    (installs_use_the_hashed_locks, _unhashed_install),
    (lambda_python_for_the_tests, _tests_without_lambda_python),
]


@pytest.mark.parametrize(
    ("rule", "breakage"),
    BREAKAGES,
    ids=[f"{rule.__name__}:{breakage.__name__.strip('_')}" for rule, breakage in BREAKAGES],
)
def test_the_rule_fails_on_a_copy_that_breaks_it(workflows, tmp_path, rule, breakage):
    broken = copy.deepcopy(workflows)
    breakage(broken)
    for workflow in broken:
        (tmp_path / workflow.name).write_text(yaml.safe_dump(workflow.data, sort_keys=False))
    reloaded = load_workflows(tmp_path)
    assert rule(reloaded) != []
    # The copy differs from the real files only by the breakage.
    assert rule(load_workflows_copy(workflows, tmp_path / "intact")) == []


def load_workflows_copy(workflows: list[Workflow], directory: Path) -> list[Workflow]:
    directory.mkdir()
    for workflow in workflows:
        (directory / workflow.name).write_text(yaml.safe_dump(workflow.data, sort_keys=False))
    return load_workflows(directory)
