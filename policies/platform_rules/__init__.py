"""The rules of the platform's policy pack, as a catalogue `policies/__main__.py` serves.

Every rule is a `RuleSpec` (name, description, level, remediation, AWS documentation link, config
schema) plus a check function; `all_policies()` builds the SDK policy objects in pack order.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, Policy

from platform_rules import (
    compute,
    database_exposure,
    edge,
    identity,
    lambda_environment,
    listeners,
    messaging,
    network,
    resilience,
    storage,
    web_tier,
)
from platform_rules.framework import RuleSpec, exemption_reporters, resource_policy, stack_policy

PACK_NAME = "platform-security"

MANDATORY = EnforcementLevel.MANDATORY
ADVISORY = EnforcementLevel.ADVISORY


def _ports_config(description: str, ports: Mapping[int, str]) -> dict[str, dict[str, Any]]:
    return {
        "ports": {
            "type": "array",
            "items": {"type": "integer", "minimum": 0, "maximum": 65535},
            "description": description,
            "default": sorted(ports),
        }
    }


RDS_NOT_PUBLIC = RuleSpec(
    name="rds-not-publicly-accessible",
    description="RDS instances, Aurora cluster instances and Multi-AZ DB clusters must not be "
    "publicly accessible, set so or by RDS's default (a Multi-AZ DB cluster that omits "
    "publiclyAccessible is public in a VPC with an internet gateway).",
    level=MANDATORY,
    remediation="Set publicly_accessible=False; reach the database from the app tier inside the "
    "VPC, through a bastion, or with SSM port forwarding.",
    url="https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_VPC.WorkingWithRDSInstanceinaVPC.html",
)
DB_PORTS_CLOSED = RuleSpec(
    name="security-group-no-public-database-ports",
    description="No security group may open a database port to the internet (0.0.0.0/0 or ::/0).",
    level=MANDATORY,
    remediation="Admit the database port only from the app tier's security group "
    "(referenced_security_group_id) or a private CIDR; never from 0.0.0.0/0 or ::/0.",
    url="https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html",
    config=_ports_config(
        "Database ports that must never be open to the internet.", network.DATABASE_PORTS
    ),
)
DB_SUBNETS_PRIVATE = RuleSpec(
    name="rds-subnets-private",
    description="A database's DB subnet group must contain only subnets without a route to an "
    "internet gateway.",
    level=MANDATORY,
    remediation="Build the DB subnet group from private subnets (default route through a NAT "
    "gateway, or none); keep internet gateway routes on the public route table only.",
    url="https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_VPC.Scenarios.html",
)
S3_DENY_UNENCRYPTED = RuleSpec(
    name="s3-deny-unencrypted-uploads",
    description="Every S3 bucket must have a bucket policy denying s3:PutObject without the "
    "x-amz-server-side-encryption header or with a disallowed algorithm.",
    level=MANDATORY,
    remediation="Attach a BucketPolicy with Deny statements for Principal '*' on "
    "arn:aws:s3:::<bucket>/*: one when Null s3:x-amz-server-side-encryption is 'true', one when "
    "StringNotEquals s3:x-amz-server-side-encryption is not an allowed algorithm. The "
    "EncryptedBucket component writes both.",
    url="https://docs.aws.amazon.com/AmazonS3/latest/userguide/amazon-s3-policy-keys.html",
    config={
        "allowedAlgorithms": {
            "type": "array",
            "items": {"type": "string", "minLength": 1},
            "description": "Values of x-amz-server-side-encryption the bucket may accept.",
            "default": list(storage.DEFAULT_SSE_ALGORITHMS),
        },
        "requireAllowedAlgorithms": {
            "type": "boolean",
            "description": "Also require a Deny for algorithms outside allowedAlgorithms.",
            "default": True,
        },
    },
)
S3_BLOCK_PUBLIC_ACCESS = RuleSpec(
    name="s3-block-public-access",
    description="Every S3 bucket must keep all four Block Public Access settings on: S3's "
    "default for a new bucket, or a public access block (bucket or account) that sets them all.",
    level=MANDATORY,
    remediation="Leave the bucket's default block in place, or write aws.s3.BucketPublicAccessBlock"
    "(bucket=..., block_public_acls=True, block_public_policy=True, ignore_public_acls=True, "
    "restrict_public_buckets=True): a flag the block omits is off.",
    url="https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html",
)
S3_NO_PUBLIC_GRANTS = RuleSpec(
    name="s3-no-public-grants",
    description="S3 buckets must not be made public by ACLs (public-read, AllUsers, "
    "AuthenticatedUsers) or by policies allowing Principal '*' without a restricting condition.",
    level=MANDATORY,
    remediation="Use private ACLs (better: object ownership BucketOwnerEnforced) and grant access "
    "to named principals, or restrict Principal '*' with aws:SourceVpce, aws:PrincipalOrgID or "
    "similar conditions.",
    url="https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html",
)
STORAGE_ENCRYPTED = RuleSpec(
    name="storage-encrypted",
    description="EFS file systems and RDS storage must be encrypted at rest.",
    level=MANDATORY,
    remediation="Set encrypted=True on aws.efs.FileSystem and storage_encrypted=True on "
    "aws.rds.Instance / aws.rds.Cluster (optionally with a KMS key).",
    url="https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Overview.Encryption.html",
)
ADMIN_PORTS_CLOSED = RuleSpec(
    name="security-group-no-public-admin-ports",
    description="Security groups should not open SSH or RDP to the internet.",
    level=ADVISORY,
    remediation="Admit SSH/RDP only from an admin CIDR or a bastion's security group, or use SSM "
    "Session Manager instead.",
    url="https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html",
    config=_ports_config(
        "Administration ports that should not be open to the internet.", network.ADMIN_PORTS
    ),
)
VPC_FLOW_LOGS = RuleSpec(
    name="vpc-flow-logs-enabled",
    description="Every VPC should have flow logs.",
    level=ADVISORY,
    remediation="Add aws.ec2.FlowLog(vpc_id=vpc.id, ...) to CloudWatch Logs or S3 (the Network "
    "component does).",
    url="https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs.html",
)
S3_DENY_INSECURE_TRANSPORT = RuleSpec(
    name="s3-deny-insecure-transport",
    description="S3 buckets should deny requests that do not use TLS (aws:SecureTransport false).",
    level=ADVISORY,
    remediation="Add a bucket policy statement: Deny s3:* for Principal '*' on the bucket and its "
    "objects when Bool aws:SecureTransport is 'false'.",
    url="https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html",
)
LAMBDA_ROLE_NOT_ADMIN = RuleSpec(
    name="lambda-role-no-admin-wildcard",
    description="Lambda execution roles should not allow action '*' (or all but a few actions, "
    "with NotAction) on resource '*'.",
    level=ADVISORY,
    remediation="Grant the function's role only the actions it calls on the resources it uses; "
    "never AdministratorAccess or Action '*' on Resource '*'.",
    url="https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html",
)
LOG_RETENTION = RuleSpec(
    name="log-group-retention-set",
    description="CloudWatch log groups should have a retention period.",
    level=ADVISORY,
    remediation="Set retention_in_days on aws.cloudwatch.LogGroup (for example 30, 90 or 365).",
    url="https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/Working-with-log-groups-and-streams.html",
)

_EC2_DOCS = "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide"
_ALB_DOCS = "https://docs.aws.amazon.com/elasticloadbalancing/latest/application"
IMDSV2_REQUIRED = RuleSpec(
    name="ec2-imdsv2-required",
    description="Launch templates and instances must require IMDSv2 (httpTokens 'required').",
    level=MANDATORY,
    remediation="Set metadata_options=dict(http_endpoint='enabled', http_tokens='required').",
    url=f"{_EC2_DOCS}/configuring-IMDS-new-instances.html",
)
EBS_ENCRYPTED = RuleSpec(
    name="ec2-ebs-encrypted",
    description="Launch templates, instances and EBS volumes must encrypt every EBS volume: "
    "each mapped with encrypted=True, or EBS encryption by default on in the stack (a root "
    "device left unmapped is the AMI's snapshot, unencrypted).",
    level=MANDATORY,
    remediation="Map each volume, the root device too, with ebs encrypted=True, or add "
    "aws.ebs.EncryptionByDefault(enabled=True) for the Region.",
    url="https://docs.aws.amazon.com/ebs/latest/userguide/ebs-encryption.html",
)
HTTP_BESIDE_HTTPS = RuleSpec(
    name="alb-http-redirects-when-https",
    description="An HTTP listener (a listener without protocol on an ALB is one) must not "
    "forward, by its default action or by a listener rule, while its load balancer has an HTTPS "
    "listener.",
    level=MANDATORY,
    remediation="Give the port 80 listener a redirect action to HTTPS (HTTP_301), and no "
    "forwarding listener rules.",
    url=f"{_ALB_DOCS}/load-balancer-listeners.html#redirect-actions",
)
HTTP_ONLY = RuleSpec(
    name="alb-http-only",
    description="A load balancer should not serve only plain HTTP.",
    level=ADVISORY,
    remediation="Add an HTTPS listener with an ACM certificate and redirect port 80 to it.",
    url=f"{_ALB_DOCS}/create-https-listener.html",
)
PRIVATE_NO_PUBLIC_IP = RuleSpec(
    name="ec2-private-no-public-ip",
    description="Instances and launch templates in private subnets should not ask for public IPs.",
    level=ADVISORY,
    remediation="Set associate_public_ip_address=False; reach nodes through the load balancer "
    "and SSM Session Manager.",
    url="https://docs.aws.amazon.com/vpc/latest/userguide/vpc-ip-addressing.html",
)
_AS_OF = {
    "asOf": {
        "type": "string",
        "description": "Judge deprecation as of this date (YYYY-MM-DD); empty: today.",
        "default": "",
    }
}
NACL_DB_PORTS = RuleSpec(
    name="network-acl-no-public-database-ports",
    description="No network ACL may let the internet reach a database or NFS port: the "
    "lowest-numbered inbound entry matching traffic from 0.0.0.0/0 or ::/0 to the port must not "
    "be an allow (the ephemeral return-traffic range 1024-65535 excepted).",
    level=MANDATORY,
    remediation="Admit database and NFS ports only from the VPC's or the app subnets' CIDR "
    "ranges; from anywhere admit only web ports and 1024-65535 for return traffic.",
    url="https://docs.aws.amazon.com/vpc/latest/userguide/nacl-rules.html",
    config=_ports_config(
        "Database and storage ports no ACL may open to the internet.", network.DATABASE_PORTS
    ),
)
NO_IAM_USERS = RuleSpec(
    name="iam-no-users-or-access-keys",
    description="A stack must not create IAM users or access keys (long-term credentials).",
    level=MANDATORY,
    remediation="Use roles: IAM Identity Center for people, execution roles and instance "
    "profiles for workloads, OIDC federation for CI.",
    url="https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html",
)
NO_ADMIN_MANAGED = RuleSpec(
    name="iam-no-admin-managed-policies",
    description="No role, user, group or permission set may get an AWS managed policy that "
    "grants every action (AdministratorAccess, PowerUserAccess, ...) or full or administrator "
    "access to a service, by AWS's own list of managed policies.",
    level=MANDATORY,
    remediation="Write a policy granting only the actions the principal calls, on its resources.",
    url="https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_job-functions.html",
)
LAMBDA_SECRETS = RuleSpec(
    name="lambda-no-plain-secrets-in-environment",
    description="Lambda environment variables must not hold a secret: a Pulumi secret, a "
    "credential-shaped value, or a literal under a secret-like name (PASSWORD, SECRET, TOKEN, "
    "KEY, ...); references (ARN, alias, SSM path, or a name/id/endpoint of that shape) pass.",
    level=MANDATORY,
    remediation="Keep the secret in Secrets Manager or SSM Parameter Store; pass its ARN or "
    "name in the environment and read it at run time.",
    url="https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html",
    config={
        "secretWords": {
            "type": "array",
            "items": {"type": "string", "minLength": 1},
            "description": "Words of a variable name (split on _ - . and case) that mark a secret.",
            "default": list(lambda_environment.SECRET_WORDS),
        }
    },
)
LAMBDA_RUNTIME_DEPRECATED = RuleSpec(
    name="lambda-runtime-not-deprecated",
    description="Lambda functions must not use a runtime Lambda has deprecated.",
    level=MANDATORY,
    remediation="Move the function to a supported runtime (python3.13, nodejs22.x, ...).",
    url="https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html",
    config=_AS_OF,
)
LAMBDA_RUNTIME_SOON = RuleSpec(
    name="lambda-runtime-deprecation-soon",
    description="Lambda functions should not use a runtime Lambda deprecates within warnDays.",
    level=ADVISORY,
    remediation="Plan the move to a newer runtime before the deprecation date.",
    url="https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html",
    config={
        **_AS_OF,
        "warnDays": {
            "type": "integer",
            "minimum": 0,
            "description": "How many days ahead of a deprecation to warn.",
            "default": 180,
        },
    },
)
PRODUCTION = RuleSpec(
    name="production-stack-resilience",
    description="In a stack marked production: RDS instances Multi-AZ, databases with deletion "
    "protection and backups, and every subnet routed to a NAT gateway in its own AZ.",
    level=MANDATORY,
    remediation="Set multi_az, deletion_protection and backup_retention_period on databases and "
    "use one NAT gateway per AZ (the prod stack's settings do).",
    url="https://docs.aws.amazon.com/vpc/latest/userguide/vpc-nat-gateway.html",
    config={
        "production": {
            "type": "boolean",
            "description": "This stack is production (the rule does nothing otherwise).",
            "default": False,
        },
        "minBackupRetentionDays": {
            "type": "integer",
            "minimum": 1,
            "maximum": 35,
            "description": "Fewest days of automated backups a production database keeps.",
            "default": 7,
        },
    },
)

RULES: tuple[RuleSpec, ...] = (
    RDS_NOT_PUBLIC,
    DB_PORTS_CLOSED,
    DB_SUBNETS_PRIVATE,
    S3_DENY_UNENCRYPTED,
    S3_BLOCK_PUBLIC_ACCESS,
    S3_NO_PUBLIC_GRANTS,
    STORAGE_ENCRYPTED,
    ADMIN_PORTS_CLOSED,
    VPC_FLOW_LOGS,
    S3_DENY_INSECURE_TRANSPORT,
    LAMBDA_ROLE_NOT_ADMIN,
    LOG_RETENTION,
    *messaging.RULES,
    IMDSV2_REQUIRED,
    EBS_ENCRYPTED,
    HTTP_BESIDE_HTTPS,
    HTTP_ONLY,
    PRIVATE_NO_PUBLIC_IP,
    NACL_DB_PORTS,
    NO_IAM_USERS,
    NO_ADMIN_MANAGED,
    LAMBDA_SECRETS,
    LAMBDA_RUNTIME_DEPRECATED,
    LAMBDA_RUNTIME_SOON,
    PRODUCTION,
    *edge.RULES,
)


def all_policies() -> list[Policy]:
    """The pack's policies, in the order the analyzer runs them (exemption reporters last)."""
    rules = _rule_policies()
    judged = {kind for policy in rules for kind in getattr(policy, "resource_types", ())}
    return [*rules, *exemption_reporters(sorted(judged))]


def _rule_policies() -> list[Policy]:
    return [
        stack_policy(RDS_NOT_PUBLIC, database_exposure.not_public_check),
        stack_policy(
            DB_PORTS_CLOSED, network.port_exposure_check(network.DATABASE_PORTS, "database")
        ),
        stack_policy(DB_SUBNETS_PRIVATE, network.database_subnets_check),
        stack_policy(S3_DENY_UNENCRYPTED, storage.sse_check),
        stack_policy(S3_BLOCK_PUBLIC_ACCESS, storage.public_access_block_check),
        resource_policy(
            S3_NO_PUBLIC_GRANTS,
            [*storage.BUCKET_TYPES, *storage.BUCKET_ACL_TYPES, storage.BUCKET_POLICY],
            storage.public_grants_check,
        ),
        resource_policy(
            STORAGE_ENCRYPTED,
            [storage.EFS_FILE_SYSTEM, network.RDS_INSTANCE, network.RDS_CLUSTER],
            storage.storage_encrypted_check,
        ),
        stack_policy(
            ADMIN_PORTS_CLOSED, network.port_exposure_check(network.ADMIN_PORTS, "administration")
        ),
        stack_policy(VPC_FLOW_LOGS, network.flow_logs_check),
        stack_policy(S3_DENY_INSECURE_TRANSPORT, storage.secure_transport_check),
        stack_policy(LAMBDA_ROLE_NOT_ADMIN, compute.lambda_roles_check),
        resource_policy(LOG_RETENTION, [compute.LOG_GROUP], compute.log_retention_check),
        *messaging.policies(),
        resource_policy(IMDSV2_REQUIRED, web_tier.COMPUTE_TYPES, web_tier.imdsv2_check),
        stack_policy(EBS_ENCRYPTED, web_tier.ebs_encrypted_check),
        stack_policy(HTTP_BESIDE_HTTPS, listeners.http_beside_https_check),
        stack_policy(HTTP_ONLY, listeners.http_only_check),
        stack_policy(PRIVATE_NO_PUBLIC_IP, web_tier.private_public_ip_check),
        stack_policy(NACL_DB_PORTS, network.network_acl_check),
        resource_policy(NO_IAM_USERS, identity.USER_TYPES, identity.user_check),
        resource_policy(
            NO_ADMIN_MANAGED, identity.MANAGED_POLICY_TYPES, identity.managed_admin_check
        ),
        resource_policy(LAMBDA_SECRETS, [compute.LAMBDA_FUNCTION], compute.lambda_secrets_check),
        resource_policy(
            LAMBDA_RUNTIME_DEPRECATED, [compute.LAMBDA_FUNCTION], compute.runtime_deprecated_check
        ),
        resource_policy(
            LAMBDA_RUNTIME_SOON, [compute.LAMBDA_FUNCTION], compute.runtime_soon_deprecated_check
        ),
        stack_policy(PRODUCTION, resilience.production_check),
        *edge.policies(),
    ]
