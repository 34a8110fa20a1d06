"""A small evaluator of IAM policy statements: enough to check what the bucket policies mean.

moto ignores bucket policy conditions, so it cannot show that an upload without the encryption
header is refused. This evaluator follows the IAM rules that matter here (AWS IAM User Guide,
"Condition operators"):

- conditions in a statement are ANDed: every operator block, and every key inside a block;
  the values listed for one key are ORed (for the negated StringNotEquals: none may match);
- operators are the pack's own (`platform_rules.iam.condition_holds`): a key missing from the
  request makes StringEquals, ArnLike and Bool false, StringNotEquals true, and `Null: "true"`
  true (`Null: "false"` false);
- condition key names are case-insensitive (`AWS:SourceArn` is `aws:SourceArn`: IAM User Guide,
  "IAM JSON policy elements: Condition"), values are compared as written;
- an operator the pack does not model raises, so a test cannot pass on it.

Principals: `"*"`, `{"Service": name}` (matches a request made by that service principal),
`{"AWS": "arn:aws:iam::<account>:root"}` (matches requests of that account's principals, whose
`aws:PrincipalAccount` is that account) and identity policies without a Principal (they apply
to their role's own requests).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from platform_rules.iam import condition_holds

SSE_HEADER = "s3:x-amz-server-side-encryption"


@dataclass(frozen=True)
class Request:
    action: str
    resource: str
    # The condition keys present in the request; a key absent here is absent from the request.
    context: Mapping[str, str] = field(default_factory=dict)
    # Set when an AWS service principal (like logging.s3.amazonaws.com) makes the request.
    service: str | None = None


def caller_context(
    *,
    service: str | None = None,
    source_arn: str | None = None,
    source_account: str | None = None,
    account: str | None = None,
) -> dict[str, str]:
    """The condition keys that say who calls: `service` (an AWS service principal, acting for
    `source_arn` in `source_account`) or an IAM principal of `account`. Absent keys stay absent."""
    keys = {
        "aws:PrincipalServiceName": service,
        "aws:SourceArn": source_arn,
        "aws:SourceAccount": source_account,
        "aws:PrincipalAccount": account,
    }
    return {key: value for key, value in keys.items() if value is not None}


def put_object(
    object_arn: str,
    *,
    sse: str | None = None,
    tls: bool = True,
    service: str | None = None,
    source_arn: str | None = None,
    source_account: str | None = None,
    account: str | None = None,
) -> Request:
    """A PutObject request as S3 sees it: which headers and which caller (`account`: an IAM
    principal of that account; `service`: an AWS service principal)."""
    context = {
        "aws:SecureTransport": "true" if tls else "false",
        **caller_context(
            service=service, source_arn=source_arn, source_account=source_account, account=account
        ),
    }
    if sse is not None:
        context[SSE_HEADER] = sse
    return Request("s3:PutObject", object_arn, context, service)


def get_object(
    object_arn: str, *, service: str | None = None, source_arn: str | None = None
) -> Request:
    """A GetObject over TLS, by a service principal on behalf of `source_arn` or by anyone."""
    context = {
        "aws:SecureTransport": "true",
        **caller_context(service=service, source_arn=source_arn),
    }
    return Request("s3:GetObject", object_arn, context, service)


def _as_list(value: str | Iterable[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _condition_holds(operator: str, key: str, expected: Any, context: Mapping[str, str]) -> bool:
    """The pack's own operator semantics (platform_rules.iam), refusing what it does not model."""
    by_lower_key = {name.lower(): value for name, value in context.items()}
    held = condition_holds(operator, expected, by_lower_key.get(key.lower()))
    if held is None:
        raise NotImplementedError(f"the evaluator does not know the condition operator {operator}")
    return held


def _principal_matches(statement: Mapping[str, Any], request: Request) -> bool:
    if "Principal" not in statement:
        return True  # an identity policy: it applies to its own role's requests
    principal = statement["Principal"]
    if principal == "*" or principal == {"AWS": "*"}:
        return True
    if isinstance(principal, Mapping) and set(principal) == {"Service"}:
        return request.service in _as_list(principal["Service"])
    if set(principal) == {"AWS"}:
        accounts = [arn.split(":")[4] for arn in _as_list(principal["AWS"])]
        return request.context.get("aws:PrincipalAccount") in accounts
    raise NotImplementedError(f"the evaluator does not know the principal {principal!r}")


def statement_applies(statement: Mapping[str, Any], request: Request) -> bool:
    actions = _as_list(statement["Action"])
    resources = _as_list(statement["Resource"])
    if not any(fnmatch.fnmatch(request.action.lower(), action.lower()) for action in actions):
        return False
    if not any(fnmatch.fnmatchcase(request.resource, resource) for resource in resources):
        return False
    if not _principal_matches(statement, request):
        return False
    return all(
        _condition_holds(operator, key, expected, request.context)
        for operator, block in statement.get("Condition", {}).items()
        for key, expected in block.items()
    )


def matching(policy: Mapping[str, Any], request: Request, effect: str) -> list[str]:
    """The Sids of the statements with this effect that apply to the request."""
    return [
        statement.get("Sid", f"#{index}")
        for index, statement in enumerate(policy["Statement"])
        if statement["Effect"] == effect and statement_applies(statement, request)
    ]


def denied_by(policy: Mapping[str, Any], request: Request) -> list[str]:
    return matching(policy, request, "Deny")


def allowed_by(policy: Mapping[str, Any], request: Request) -> list[str]:
    return matching(policy, request, "Allow")
