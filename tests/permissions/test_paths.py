"""Every run-time permission path of dev, prod and a stack with a domain is allowed by the
independent judge, and every twin of it (one documented request attribute changed) denied.

The paths, their request attributes and the AWS pages each follows are in tools/permission_paths
(each module cites its pages beside the paths it builds); docs/permission-paths.md lists them.
"""

from __future__ import annotations

import pytest

from tools.permission_paths.catalogue import DOMAIN_STACK, SSE_KMS_STACK, STACKS
from tools.permission_paths.render import page

KINDS = (
    "firehose-assumes-role",
    "firehose-reads-stream",
    "firehose-decrypts-stream",
    "firehose-locates-bucket",
    "firehose-puts-objects",
    "firehose-encrypts-objects",
    "cloudfront-reads-origin",
    "alarm-publishes",
    "alarm-uses-topic-key",
    "s3-server-access-logs",
    "load-balancer-logs",
    "cloudfront-logs",
    "waf-logs",
    "flow-logs-assume-role",
    "flow-logs-write",
    "apigateway-invokes",
    "eventbridge-invokes",
    "s3-invokes-alias",
    "lambda-assumes-role",
    "function-writes-logs",
    "consumer-polls-queue",
    "upload-function-reads",
    "destination-sns",
    "destination-topic-key",
    "destination-sqs",
    "sns-delivers-to-queue",
    "monitor-uses-table",
    "monitor-publishes-alerts",
    "monitor-topic-key",
    "ec2-assumes-node-role",
    "web-node-reads-secret",
    "web-node-reads-secret-key",
    "web-node-mounts-efs",
    "web-node-uses-media",
)
# With monitorWebhookUrl set, the scheduled function reads it from Secrets Manager.
WEBHOOK_KINDS = ("monitor-reads-secret", "monitor-reads-secret-key")
# bucketSseAlgorithm aws:kms: the media bucket's own key lets this distribution decrypt (a key
# given by bucketKmsKeyArn is refused: tests/project/test_config.py), and the upload function
# and the web nodes use it through S3.
SSE_KMS_KINDS = ("cloudfront-decrypts-origin", "upload-function-decrypts", "web-node-media-key")
EXTRA_KINDS = {DOMAIN_STACK: WEBHOOK_KINDS, SSE_KMS_STACK: SSE_KMS_KINDS}
EXPECTED = {stack: KINDS + EXTRA_KINDS.get(stack, ()) for stack in STACKS}


def _report(judged) -> list[str]:
    problems = []
    for item in judged:
        if not item.path.twins:
            problems.append(f"{item.path.title}: no twin")
        problems += [f"{item.path.title}: {failure}" for failure in item.failures()]
    return problems


@pytest.mark.parametrize(
    ("stack", "kind"), [(stack, kind) for stack, kinds in EXPECTED.items() for kind in kinds]
)
def test_path_is_allowed_and_its_twins_denied(judged_stack, stack, kind):
    judged = [item for item in judged_stack(stack) if item.path.kind == kind]
    assert judged, f"{stack} has no {kind} path"
    assert _report(judged) == []


@pytest.mark.parametrize("stack", list(STACKS))
def test_every_path_kind_is_listed(judged_stack, stack):
    assert {item.path.kind for item in judged_stack(stack)} == set(EXPECTED[stack])


def test_the_page_is_current(judged_stack):
    text = page({stack: judged_stack(stack) for stack in STACKS})
    with open("docs/permission-paths.md", encoding="utf-8") as current:
        assert current.read() == text, "run `.venv/bin/python -m tools.permission_paths`"
