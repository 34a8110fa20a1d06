"""IAM documents every system writes the same way: who may assume a service role."""

from __future__ import annotations

from collections.abc import Mapping


def service_trust_policy(
    service: str, conditions: Mapping[str, Mapping[str, str]] | None = None
) -> dict:
    """Only `service` (like `lambda.amazonaws.com`) may assume the role, under `conditions`
    (the confused-deputy guards its service documents: source account, ARN, external id)."""
    statement: dict[str, object] = {
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": "sts:AssumeRole",
    }
    if conditions:
        statement["Condition"] = {key: dict(value) for key, value in conditions.items()}
    return {"Version": "2012-10-17", "Statement": [statement]}
