"""`EncryptionKey`: a customer managed KMS key with yearly rotation and the default key policy
(the account's IAM policies decide who uses it), for resources whose writers must name the key
they encrypt with (the stream and its bucket).
https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html

`service_users` adds, per AWS service principal, the statement SNS documents for an AWS service
that publishes to a topic encrypted with the key (kms:GenerateDataKey* and kms:Decrypt), scoped
to this account's resources in this region (see `components/key_parts.py`).
https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi

from components.common.kms import (
    MAX_DELETION_WINDOW_DAYS,
    customer_key,
    deletion_window_problem,
    service_user_problem,
)
from components.common.outputs import register_declared_outputs


@dataclass(frozen=True)
class EncryptionKeyArgs:
    description: str = "Platform data key"
    # Days a deleted key can still be recovered (7 to 30).
    deletion_window_days: int = MAX_DELETION_WINDOW_DAYS
    # AWS service principals (`cloudwatch.amazonaws.com`) that may use the key to publish to an
    # SNS topic it encrypts, on behalf of this account's resources in this region; () = the
    # default key policy only.
    service_users: tuple[str, ...] = ()
    tags: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for service in self.service_users:
            if (reason := service_user_problem(service)) is not None:
                raise ValueError(f"service_users: {service!r} {reason}")
        if (reason := deletion_window_problem(self.deletion_window_days)) is not None:
            raise ValueError(f"deletion_window_days: {self.deletion_window_days!r} {reason}")


class EncryptionKey(pulumi.ComponentResource):
    """A symmetric KMS key with rotation, and an alias `alias/<name>-<stack>`."""

    arn: pulumi.Output[str]
    alias_name: pulumi.Output[str]

    def __init__(
        self, name: str, args: EncryptionKeyArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("platform:encryption_key:EncryptionKey", name, None, opts)
        made = customer_key(
            name,
            description=args.description,
            deletion_window_days=args.deletion_window_days,
            service_users=args.service_users,
            tags=args.tags,
            parent=self,
        )
        self.arn = made.key.arn
        self.alias_name = made.alias.name
        register_declared_outputs(self)
