"""A permission path: one request one part of the platform makes to another at run time, the
documents AWS evaluates for it, and its twins (the same request changed in one documented
attribute, which AWS must refuse)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from tools.iam_judge import Document, Request

OUTSIDE_ACCOUNT = "999999999999"


@dataclass(frozen=True)
class Twin:
    """A changed copy of a path's request that AWS must deny, and what was changed."""

    label: str
    request: Request


@dataclass(frozen=True)
class Path:
    """Who calls, which actions on which resource, with which request attributes; the documents
    (identity policies, the resource's policy or key policy) and the AWS pages they follow."""

    kind: str  # the catalogue entry that made it (a test per kind and stack)
    title: str
    caller: str
    actions: tuple[str, ...]
    resource: str
    account_id: str
    context: Mapping[str, str] = field(default_factory=dict)
    identity_policies: Sequence[Document] = ()
    resource_policy: Document | None = None
    block_public_access: bool = False
    docs: tuple[str, ...] = ()
    note: str = ""
    twins: tuple[Twin, ...] = ()

    def request(self, action: str) -> Request:
        return Request(
            principal=self.caller,
            action=action,
            resource=self.resource,
            account_id=self.account_id,
            context=dict(self.context),
            identity_policies=tuple(self.identity_policies),
            resource_policy=self.resource_policy,
            block_public_access=self.block_public_access,
        )

    def requests(self) -> list[Request]:
        return [self.request(action) for action in self.actions]

    # --- twins: one documented attribute changed ------------------------------------------

    def with_twins(self, *twins: Twin) -> Path:
        return replace(self, twins=(*self.twins, *twins))

    def twin_context(self, label: str, **changes: str | None) -> Twin:
        """The first action's request with context keys changed (None removes the key)."""
        context = dict(self.context)
        for key, value in changes.items():
            name = CONTEXT_KEYS[key]
            if value is None:
                context.pop(name, None)
            else:
                context[name] = value
        return Twin(label, replace(self.request(self.actions[0]), context=context))

    def twin_caller(
        self, label: str, caller: str, identity_policies: Sequence[Document] = ()
    ) -> Twin:
        """The same request by another principal, with that principal's own documents."""
        request = replace(
            self.request(self.actions[0]),
            principal=caller,
            identity_policies=tuple(identity_policies),
        )
        return Twin(label, request)

    def twin_resource(self, label: str, resource: str) -> Twin:
        return Twin(label, replace(self.request(self.actions[0]), resource=resource))

    def twin_external_id(self, value: str) -> Twin:
        return self.twin_context("wrong sts:ExternalId", external_id=value)


@dataclass(frozen=True)
class Role:
    """A role of the stack: its ARN, identity policies and trust policy, and another role of the
    stack with that role's own policies (the principal of its paths' "another role" twins)."""

    arn: str
    account_id: str
    identity: tuple[Document, ...]
    trust_policy: Document
    outsider: str
    outsider_identity: tuple[Document, ...]

    def path(
        self,
        *,
        kind: str,
        title: str,
        actions: tuple[str, ...],
        resource: str,
        context: Mapping[str, str] | None = None,
        resource_policy: Document | None = None,
        block_public_access: bool = False,
        docs: tuple[str, ...] = (),
        note: str = "",
    ) -> Path:
        """A path this role calls, judged with its identity policies."""
        return Path(
            kind=kind,
            title=title,
            caller=self.arn,
            actions=actions,
            resource=resource,
            account_id=self.account_id,
            context=dict(context or {}),
            identity_policies=self.identity,
            resource_policy=resource_policy,
            block_public_access=block_public_access,
            docs=docs,
            note=note,
        )

    def assumed_by(
        self,
        service: str,
        *,
        kind: str,
        title: str,
        docs: tuple[str, ...],
        context: Mapping[str, str] | None = None,
    ) -> Path:
        """`service` assumes this role (sts:AssumeRole), judged with the role's trust policy."""
        return Path(
            kind=kind,
            title=title,
            caller=service,
            actions=("sts:AssumeRole",),
            resource=self.arn,
            account_id=self.account_id,
            context=dict(context or {}),
            resource_policy=self.trust_policy,
            docs=docs,
        )

    def another_role(self, path: Path) -> Twin:
        """The path's request by another role of the stack, with that role's own policies."""
        return path.twin_caller("another role", self.outsider, self.outsider_identity)


# Keyword names of the request context keys the twins change.
CONTEXT_KEYS = {
    "source_arn": "aws:SourceArn",
    "source_account": "aws:SourceAccount",
    "secure_transport": "aws:SecureTransport",
    "sse": "s3:x-amz-server-side-encryption",
    "sse_key": "s3:x-amz-server-side-encryption-aws-kms-key-id",
    "via_service": "kms:ViaService",
    "s3_context": "kms:EncryptionContext:aws:s3:arn",
    "kinesis_context": "kms:EncryptionContext:aws:kinesis:arn",
    "sns_context": "kms:EncryptionContext:aws:sns:topicArn",
    "secret_context": "kms:EncryptionContext:SecretARN",
    "access_point": "elasticfilesystem:AccessPointArn",
    "external_id": "sts:ExternalId",
}


def other_arn(arn: str) -> str:
    """An ARN of the same shape naming another resource (its last segment changed; for an API
    Gateway execute-api ARN, the API's id)."""
    if ":execute-api:" in arn:
        prefix, resource = arn.rsplit(":", 1)
        api_id, rest = resource.split("/", 1)
        return f"{prefix}:{'z' * len(api_id)}/{rest}"
    return arn[:-1] + ("x" if not arn.endswith("x") else "y") + "-other"


def tls(**extra: str) -> dict[str, str]:
    """A request over HTTPS: aws:SecureTransport true, plus `extra` keys."""
    return {"aws:SecureTransport": "true", **extra}
