"""Requests to a KMS key on a path: judged with the key's policy (the planned one, AWS's default,
or an AWS managed key's: PlanIndex.key_policy), with the context KMS sees when a service uses the
key on a principal's behalf.

- kms:ViaService and kms:CallerAccount: https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html
- An encrypted SNS topic's key (kms:GenerateDataKey, kms:Decrypt, for publishers and alarms):
  https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html
- With an S3 Bucket Key the encryption context is the bucket's ARN, not the object's:
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/configuring-bucket-key.html
"""

from __future__ import annotations

from collections.abc import Mapping

from tools.permission_paths.model import CONTEXT_KEYS, Path, Role
from tools.permission_paths.plan_index import PlanIndex

KMS_CONDITIONS_DOC = "https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html"
SNS_KEY_DOC = "https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html"
BUCKET_KEY_DOC = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/configuring-bucket-key.html"


def via_service(ix: PlanIndex, service: str, **encryption_context: str) -> dict[str, str]:
    """What KMS sees when `service` (s3, sns, kinesis, secretsmanager) uses a key for a principal
    of this account: kms:ViaService, kms:CallerAccount and the service's encryption context
    (named as the twins name it: s3_context=, sns_context=, kinesis_context=, secret_context=)."""
    return {
        "kms:ViaService": f"{service}.{ix.region}.amazonaws.com",
        "kms:CallerAccount": ix.account,
        **{CONTEXT_KEYS[name]: value for name, value in encryption_context.items()},
    }


def kms_path(
    ix: PlanIndex,
    *,
    kind: str,
    title: str,
    caller: Role | str,
    actions: tuple[str, ...],
    key_arn: str,
    context: Mapping[str, str],
    docs: tuple[str, ...],
) -> Path:
    """`caller` (a role of the stack, or a service principal) uses the key `key_arn` of this
    account, judged with the role's identity policies and the key's policy."""
    return Path(
        kind=kind,
        title=title,
        caller=caller.arn if isinstance(caller, Role) else caller,
        actions=actions,
        resource=key_arn,
        account_id=ix.account,
        context=context,
        identity_policies=caller.identity if isinstance(caller, Role) else (),
        resource_policy=ix.key_policy(key_arn),
        docs=docs,
    )
