"""The rules of the platform's policy pack, as a catalogue `policies/__main__.py` serves.

Every rule is a `RuleSpec` (name, description, level, remediation, AWS documentation link, config
schema) plus a check function; `all_policies()` builds the SDK policy objects in pack order.
"""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, Policy

from platform_rules import compute, edge, messaging, network, storage, web_tier
from platform_rules.framework import RuleSpec, exemption_reporters, resource_policy, stack_policy

PACK_NAME = "platform-security"

MANDATORY = EnforcementLevel.MANDATORY
ADVISORY = EnforcementLevel.ADVISORY

_PORTS_ITEMS = {"type": "integer", "minimum": 0, "maximum": 65535}

RDS_NOT_PUBLIC = RuleSpec(
    name="rds-not-publicly-accessible",
    description="RDS instances and Aurora cluster instances must not be publicly accessible.",
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
    config={
        "ports": {
            "type": "array",
            "items": _PORTS_ITEMS,
            "description": "Database ports that must never be open to the internet.",
            "default": sorted(network.DATABASE_PORTS),
        }
    },
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
    description="Every S3 bucket must have a public access block with all four settings on.",
    level=MANDATORY,
    remediation="Add aws.s3.BucketPublicAccessBlock(bucket=..., block_public_acls=True, "
    "block_public_policy=True, ignore_public_acls=True, restrict_public_buckets=True).",
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
    description="EFS file systems and RDS storage should be encrypted at rest.",
    level=ADVISORY,
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
    config={
        "ports": {
            "type": "array",
            "items": _PORTS_ITEMS,
            "description": "Administration ports that should not be open to the internet.",
            "default": sorted(network.ADMIN_PORTS),
        }
    },
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
    description="Launch templates, instances and EBS volumes must encrypt every EBS volume.",
    level=MANDATORY,
    remediation="Map each volume, the root device too, with ebs encrypted=True.",
    url="https://docs.aws.amazon.com/ebs/latest/userguide/ebs-encryption.html",
)
HTTP_BESIDE_HTTPS = RuleSpec(
    name="alb-http-redirects-when-https",
    description="An HTTP listener must not forward while its load balancer has an HTTPS listener.",
    level=MANDATORY,
    remediation="Give the port 80 listener a redirect action to HTTPS (HTTP_301).",
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
    *edge.RULES,
)


def all_policies() -> list[Policy]:
    """The pack's policies, in the order the analyzer runs them (exemption reporters last)."""
    return [
        resource_policy(
            RDS_NOT_PUBLIC,
            [network.RDS_INSTANCE, network.RDS_CLUSTER_INSTANCE],
            compute.not_public_check,
        ),
        resource_policy(
            DB_PORTS_CLOSED,
            network.SECURITY_GROUP_TYPES,
            network.port_exposure_check(network.DATABASE_PORTS, "database"),
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
            [storage.EFS_FILE_SYSTEM, storage.RDS_INSTANCE, storage.RDS_CLUSTER],
            storage.storage_encrypted_check,
        ),
        resource_policy(
            ADMIN_PORTS_CLOSED,
            network.SECURITY_GROUP_TYPES,
            network.port_exposure_check(network.ADMIN_PORTS, "administration"),
        ),
        stack_policy(VPC_FLOW_LOGS, network.flow_logs_check),
        stack_policy(S3_DENY_INSECURE_TRANSPORT, storage.secure_transport_check),
        stack_policy(LAMBDA_ROLE_NOT_ADMIN, compute.lambda_roles_check),
        resource_policy(LOG_RETENTION, [compute.LOG_GROUP], compute.log_retention_check),
        *messaging.policies(),
        resource_policy(IMDSV2_REQUIRED, web_tier.COMPUTE_TYPES, web_tier.imdsv2_check),
        resource_policy(
            EBS_ENCRYPTED,
            [*web_tier.COMPUTE_TYPES, web_tier.EBS_VOLUME],
            web_tier.ebs_encrypted_check,
        ),
        stack_policy(HTTP_BESIDE_HTTPS, web_tier.http_beside_https_check),
        stack_policy(HTTP_ONLY, web_tier.http_only_check),
        stack_policy(PRIVATE_NO_PUBLIC_IP, web_tier.private_public_ip_check),
        *edge.policies(),
        *exemption_reporters(),
    ]
