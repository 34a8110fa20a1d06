"""Every run-time permission path of a planned stack, the stacks the table covers, and their
verdicts from the independent judge (one simulator process per stack)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from tools.iam_judge import Request, Verdict, judge
from tools.offline import Plan, run_program
from tools.permission_paths import app_paths, edge_paths, function_paths, log_paths, stream_paths
from tools.permission_paths.model import Path
from tools.permission_paths.plan_index import PlanIndex

# The stacks the table covers: dev, prod, dev with a domain (the edge's DNS, certificate and
# us-east-1 health-check alarm) and the optional secrets set (SMS and the monitor's webhook),
# and dev with SSE-KMS content buckets (CloudFront, the upload function and the web nodes use
# the media bucket's key).
DOMAIN_STACK = "dev+domain"
SSE_KMS_STACK = "dev+sse-kms"
STACKS: dict[str, tuple[str, dict[str, str], dict[str, str]]] = {
    "dev": ("dev", {}, {}),
    "prod": ("prod", {}, {}),
    DOMAIN_STACK: (
        "dev",
        {"domainName": "shop.example.com"},
        {
            "alertPhoneNumber": "+15555550123",
            "monitorWebhookUrl": "https://hooks.example.com/services/T000/B000/offline",
        },
    ),
    SSE_KMS_STACK: ("dev", {"bucketSseAlgorithm": "aws:kms"}, {}),
}

Builder = Callable[[PlanIndex], list[Path]]
# Each builder makes the paths of one family; every kind it makes is one test per stack.
BUILDERS: tuple[Builder, ...] = (
    stream_paths.firehose_paths,
    edge_paths.origin_read_paths,
    edge_paths.alarm_paths,
    log_paths.server_access_log_paths,
    log_paths.load_balancer_log_paths,
    log_paths.vended_log_paths,
    log_paths.flow_log_paths,
    function_paths.invocation_paths,
    function_paths.execution_paths,
    function_paths.queue_consumer_paths,
    function_paths.upload_paths,
    app_paths.fanout_paths,
    app_paths.monitor_paths,
    app_paths.web_node_paths,
)


def paths_of(plan: Plan) -> list[Path]:
    """The paths of a plan, in a stable order (registration order varies between runs)."""
    index = PlanIndex(plan)
    return [
        path
        for build in BUILDERS
        for path in sorted(build(index), key=lambda p: (p.kind, p.title, p.resource))
    ]


@cache
def stack_plan(stack: str) -> Plan:
    base, overrides, secrets = STACKS[stack]
    return run_program(base, config_overrides=overrides, secrets=secrets)


@dataclass(frozen=True)
class Judged:
    """A path with the judge's verdict on each of its actions and on each twin."""

    path: Path
    verdicts: tuple[Verdict, ...]
    twin_verdicts: tuple[Verdict, ...]

    @property
    def allowed(self) -> bool:
        return all(verdict.allowed for verdict in self.verdicts)

    @property
    def twins_denied(self) -> bool:
        return all(not verdict.allowed for verdict in self.twin_verdicts)

    def failures(self) -> list[str]:
        found = [
            f"{action}: {verdict.decision}"
            for action, verdict in zip(self.path.actions, self.verdicts, strict=True)
            if not verdict.allowed
        ]
        found += [
            f"twin '{twin.label}' {twin.request.action}: {verdict.decision}"
            for twin, verdict in zip(self.path.twins, self.twin_verdicts, strict=True)
            if verdict.allowed
        ]
        return found


def judge_paths(paths: list[Path]) -> list[Judged]:
    """All requests and twins of all paths in one simulator run."""
    requests: list[Request] = []
    for path in paths:
        requests += path.requests()
        requests += [twin.request for twin in path.twins]
    verdicts = iter(judge(requests))
    judged = []
    for path in paths:
        own = tuple(next(verdicts) for _ in path.actions)
        twins = tuple(next(verdicts) for _ in path.twins)
        judged.append(Judged(path, own, twins))
    return judged


@cache
def judged_stack(stack: str) -> tuple[Judged, ...]:
    return tuple(judge_paths(paths_of(stack_plan(stack))))
