"""The independent judge of permission paths: cloud-copilot's IAM simulator run by Node.

One `node tools/iam_simulator/simulate.mjs` process decides a whole batch of requests (identity,
resource and KMS key policies together, with the request's context keys). It is not the policy
pack's evaluator (tests/iam_eval.py, policies/): a blind spot there is not one here.
`make test` installs the simulator from tools/iam_simulator/package-lock.json with `npm ci`.

See simulate.mjs for the one defect of iam-simulate 0.1.x this works around (encryption-context
keys dropped by the validated engine) and tests/permissions/test_judge.py for the checks.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SIMULATOR_DIR = Path(__file__).resolve().parent / "iam_simulator"
DRIVER = SIMULATOR_DIR / "simulate.mjs"
DECISIONS = ("Allowed", "ExplicitlyDenied", "ImplicitlyDenied")
TIMEOUT_SECONDS = 300


class JudgeUnavailable(RuntimeError):
    """Node or the installed simulator is missing (run `make test`, which runs `npm ci`)."""


class JudgeError(RuntimeError):
    """The simulator refused a case (invalid policy, action, resource or context key)."""


@dataclass(frozen=True)
class Document:
    """A policy document and what it is (`identity: <role policy>`, `bucket policy`...)."""

    name: str
    policy: Mapping[str, Any]


@dataclass(frozen=True)
class Request:
    """One AWS request: who, what, on which resource, with which request context keys, and the
    documents AWS evaluates for it (the caller's identity policies, the resource's policy)."""

    principal: str
    action: str
    resource: str
    account_id: str
    context: Mapping[str, str] = field(default_factory=dict)
    identity_policies: Sequence[Document] = ()
    resource_policy: Document | None = None
    # S3 Block Public Access (RestrictPublicBuckets) is on for the bucket.
    block_public_access: bool = False

    def case(self, case_id: str) -> dict[str, Any]:
        return {
            "id": case_id,
            "principal": self.principal,
            "action": self.action,
            "resource": self.resource,
            "accountId": self.account_id,
            "context": dict(self.context),
            "identityPolicies": [
                {"name": document.name, "policy": document.policy}
                for document in self.identity_policies
            ],
            "resourcePolicy": (
                {"name": self.resource_policy.name, "policy": self.resource_policy.policy}
                if self.resource_policy is not None
                else None
            ),
            "blockPublicAccess": self.block_public_access,
        }


@dataclass(frozen=True)
class Verdict:
    decision: str
    # "validated", or "unsafe-with-encryption-context" (the documented workaround).
    engine: str
    ignored_keys: tuple[str, ...] = ()

    @property
    def allowed(self) -> bool:
        return self.decision == "Allowed"


def node_binary() -> str:
    node = shutil.which("node")
    if node is None:
        raise JudgeUnavailable("node is not on PATH (Node 20 or later runs the IAM simulator)")
    if not (SIMULATOR_DIR / "node_modules" / "@cloud-copilot" / "iam-simulate").is_dir():
        raise JudgeUnavailable(
            f"the IAM simulator is not installed: run `npm ci` in {SIMULATOR_DIR} (make test does)"
        )
    return node


def judge(requests: Sequence[Request], *, force_unsafe: bool = False) -> list[Verdict]:
    """Decide every request in one simulator process; raise JudgeError on a refused case."""
    if not requests:
        return []
    payload = {
        "forceUnsafe": force_unsafe,
        "cases": [request.case(str(index)) for index, request in enumerate(requests)],
    }
    completed = subprocess.run(  # noqa: S603 - a fixed script, input on stdin
        [node_binary(), str(DRIVER)],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        cwd=SIMULATOR_DIR,
        timeout=TIMEOUT_SECONDS,
        check=False,
        env={**os.environ, "NODE_OPTIONS": ""},
    )
    if completed.returncode != 0:
        raise JudgeError(f"the simulator failed: {completed.stderr.strip()[-2000:]}")
    verdicts = []
    for request, result in zip(requests, json.loads(completed.stdout), strict=True):
        if result.get("decision") not in DECISIONS:
            raise JudgeError(
                f"the simulator refused {request.action} on {request.resource} by "
                f"{request.principal}: {result.get('error')}"
            )
        verdicts.append(
            Verdict(result["decision"], result["engine"], tuple(result.get("ignored") or ()))
        )
    return verdicts
