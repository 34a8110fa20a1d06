"""`EncryptionKey`: a customer managed KMS key with yearly rotation and the default key policy
(the account's IAM policies decide who uses it), for resources whose writers must name the key
they encrypt with (the stream and its bucket).
https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.lambda_parts import named_tags

MIN_DELETION_WINDOW_DAYS = 7
MAX_DELETION_WINDOW_DAYS = 30


@dataclass(frozen=True)
class EncryptionKeyArgs:
    description: str = "Platform data key"
    # Days a deleted key can still be recovered (7 to 30).
    deletion_window_days: int = MAX_DELETION_WINDOW_DAYS
    tags: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not MIN_DELETION_WINDOW_DAYS <= self.deletion_window_days <= MAX_DELETION_WINDOW_DAYS:
            raise ValueError(
                f"deletion_window_days: {self.deletion_window_days!r} must be between "
                f"{MIN_DELETION_WINDOW_DAYS} and {MAX_DELETION_WINDOW_DAYS}"
            )


class EncryptionKey(pulumi.ComponentResource):
    """A symmetric KMS key with rotation, and an alias `alias/<name>-<stack>`."""

    arn: pulumi.Output[str]
    alias_name: pulumi.Output[str]

    def __init__(
        self, name: str, args: EncryptionKeyArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("platform:encryption_key:EncryptionKey", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        key = aws.kms.Key(
            f"{name}-key",
            description=args.description,
            enable_key_rotation=True,
            deletion_window_in_days=args.deletion_window_days,
            tags=named_tags(args.tags, f"{name}-key"),
            opts=child,
        )
        alias = aws.kms.Alias(
            f"{name}-alias",
            name=f"alias/{name}-{pulumi.get_stack()}",
            target_key_id=key.key_id,
            opts=child,
        )
        self.arn = key.arn
        self.alias_name = alias.name
        self.register_outputs({"arn": self.arn, "alias_name": self.alias_name})
