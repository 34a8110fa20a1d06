"""Storage rules: S3 buckets refuse unencrypted uploads and are private; data at rest encrypted."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from platform_rules.framework import Violation
from platform_rules.graph import Node, StackGraph
from platform_rules.iam import (
    action_matches,
    condition_holds,
    conditions,
    covers_every_object,
    split_operator,
)
from platform_rules.values import (
    UNKNOWN,
    PolicyDocumentError,
    as_list,
    effect,
    is_unknown,
    policy_statements,
    principal_is_everyone,
    truthy,
)

BUCKET = "aws:s3/bucket:Bucket"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
BUCKET_ACL = "aws:s3/bucketAcl:BucketAcl"
# pulumi-aws v7 still ships the v6 names as deprecated aliases of the same resources; a program
# that uses them must not slip past the bucket rules.
BUCKET_TYPES = (BUCKET, "aws:s3/bucketV2:BucketV2")
BUCKET_ACL_TYPES = (BUCKET_ACL, "aws:s3/bucketAclV2:BucketAclV2")
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
ACCOUNT_PUBLIC_ACCESS_BLOCK = "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock"
EFS_FILE_SYSTEM = "aws:efs/fileSystem:FileSystem"

SSE_HEADER = "s3:x-amz-server-side-encryption"
# The header's valid values (https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html).
S3_SSE_VALUES = ("AES256", "aws:kms", "aws:kms:dsse")
DEFAULT_SSE_ALGORITHMS = list(S3_SSE_VALUES)
# Keys only AWS service principals' requests carry: absent for every user, role and anonymous
# caller (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html).
ABSENT_FOR_CALLERS = frozenset({"aws:principalservicename", "aws:principalservicenamelist"})
# The accounts of Elastic Load Balancing that deliver access logs in the Regions available before
# August 2022: a Deny that exempts only these accounts exempts only AWS's log writer, never a
# caller of the bucket owner's (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html).
ELB_LOG_DELIVERY_ACCOUNTS = frozenset(
    {
        "127311923021", "033677994240", "027434742980", "797873946194", "098369216593",
        "754344448648", "589379963580", "718504428378", "383597477331", "600734575887",
        "114774131450", "783225319266", "582318560864", "985666609251", "054676820928",
        "156460612806", "652711504416", "635631232127", "009996457667", "897822967062",
        "076674570225", "507241528517",
    }
)  # fmt: skip
PUBLIC_ACCESS_FLAGS = (
    "blockPublicAcls",
    "blockPublicPolicy",
    "ignorePublicAcls",
    "restrictPublicBuckets",
)
PUBLIC_CANNED_ACLS = {"public-read", "public-read-write", "authenticated-read"}
PUBLIC_GRANTEES = (
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
)
# S3's meaning of "public": an Allow to everyone is non-public only when a condition pins one of
# these keys to fixed values (no wildcard, no policy variable)
# (https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html#access-control-block-public-access-policy-status).
PINNING_KEYS = frozenset(
    {
        "aws:sourceip",
        "aws:sourcearn",
        "aws:sourcevpc",
        "aws:sourcevpce",
        "aws:sourceowner",
        "aws:sourceaccount",
        "aws:sourceorgid",
        "aws:userid",
        "aws:principalorgid",
        "aws:principalorgpaths",
        "aws:principalaccount",
        "aws:principalarn",
        "aws:principalservicename",
        "s3:x-amz-server-side-encryption-aws-kms-key-id",
        "s3:dataaccesspointarn",
        "s3:dataaccesspointaccount",
    }
)
# Operators that admit only the listed values; negated and ...IfExists forms admit others.
PINNING_OPERATORS = frozenset(
    {"stringequals", "stringequalsignorecase", "stringlike", "arnequals", "arnlike", "ipaddress"}
)
# aws:SourceIp ranges broader than these are public, RFC 1918 ranges excepted (same page).
WIDEST_FIXED_PREFIX = {4: 8, 6: 32}
RFC1918 = tuple(
    ipaddress.IPv4Network(cidr) for cidr in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
)


# --- finding a bucket's policies -------------------------------------------------------------


class BucketPolicies:
    """A bucket's policy documents: BucketPolicy resources that name it, and its inline policy."""

    def __init__(self, graph: StackGraph, bucket: Node):
        self.bucket = bucket
        self.documents: list[tuple[str, Any, Any]] = []  # (source, bucket name, document)
        own_name = bucket.get("bucket")
        for policy in graph.sources(bucket, "bucket", graph.of_type(BUCKET_POLICY), ("bucket",)):
            name = policy.get("bucket")
            if not isinstance(name, str) or is_unknown(name):
                name = own_name
            self.documents.append((f"BucketPolicy {policy.name}", name, policy.get("policy")))
        if bucket.get("policy") is not None:
            self.documents.append(
                (f"the inline policy of {bucket.name}", own_name, bucket.get("policy"))
            )

    def duplicate_violation(self) -> Violation:
        """A bucket has one policy: each write replaces it, so only the last one applies."""
        sources = " and ".join(source for source, _, _ in self.documents)
        return Violation(
            self.bucket.urn,
            self.bucket.name,
            f"Bucket {self.bucket.name} is given {len(self.documents)} policies ({sources}); a "
            "bucket has exactly one policy and each write replaces it, so the last one written "
            "silently wins. Merge their statements into one BucketPolicy.",
        )

    def statements(self) -> Iterator[tuple[str, Any, list[dict[str, Any]] | Any]]:
        """(source, bucket name, statements or UNKNOWN or a PolicyDocumentError)."""
        for source, name, document in self.documents:
            try:
                yield source, name, policy_statements(document)
            except PolicyDocumentError as error:
                yield source, name, error


def _principal_problems(statement: Mapping[str, Any]) -> list[str]:
    problems = []
    if effect(statement) != "deny":
        problems.append(f"its Effect is {statement.get('Effect')!r}, not 'Deny'")
    if "NotPrincipal" in statement:
        problems.append(
            f"its NotPrincipal {statement.get('NotPrincipal')!r} exempts those principals"
        )
    elif not principal_is_everyone(statement):
        problems.append(f"its Principal {statement.get('Principal')!r} is not '*'")
    return problems


def _label(statement: Mapping[str, Any], index: int) -> str:
    sid = statement.get("Sid")
    return f"statement {sid!r}" if isinstance(sid, str) and sid else f"statement #{index + 1}"


@dataclass(frozen=True)
class Request:
    """A request a writer could send: its action, the condition keys it sets (a key mapped to
    None is missing), and how messages name it. Keys it does not set could be anything."""

    action: str
    context: Mapping[str, str | None]
    label: str


def uploads_to_refuse(allowed: list[str], require_algorithm: bool) -> list[Request]:
    """The uploads the bucket must refuse: without the header, and (when required) with each
    value S3 accepts that is not allowed (S3 itself refuses any other value)."""
    refused = [
        Request(
            "s3:PutObject",
            {SSE_HEADER: None},
            f"uploads without the {SSE_HEADER.split(':', 1)[1]} header",
        )
    ]
    if require_algorithm:
        refused += [
            Request("s3:PutObject", {SSE_HEADER: value}, f"uploads with {value}")
            for value in S3_SSE_VALUES
            if value not in allowed
        ]
    return refused


PLAIN_HTTP_REQUESTS = [
    Request(action, {"aws:securetransport": "false"}, f"{action} over plain HTTP")
    for action in ("s3:GetObject", "s3:PutObject")
]


def refuses(statement: Mapping[str, Any], bucket: str, request: Request) -> list[str]:
    """Why the statement does not deny the request for every caller and object key ([] when it
    does): conditions are ANDed, so any condition must hold whatever the caller sets."""
    problems = _principal_problems(statement)
    if not action_matches(statement, request.action):
        field = "NotAction" if "NotAction" in statement else "Action"
        problems.append(f"its {field} {statement.get(field)!r} leaves {request.action} out")
    if not covers_every_object(statement, bucket):
        field = "NotResource" if "NotResource" in statement else "Resource"
        problems.append(
            f"its {field} {statement.get(field)!r} leaves keys of arn:aws:s3:::{bucket}/* out"
        )
    for operator, key, expected in conditions(statement):
        name = key.lower()
        if name in request.context:
            if condition_holds(operator, expected, request.context[name]) is not True:
                problems.append(f"its {operator} {expected!r} on {key} is false for them")
        elif name in ABSENT_FOR_CALLERS:
            if condition_holds(operator, expected, None) is not True:
                problems.append(f"its {operator} on {key} exempts every user and role")
        elif name == "aws:principalaccount" and _exempts_only_elb_writers(operator, expected):
            continue
        else:
            problems.append(
                f"its {operator} on {key} limits it to some requests (the conditions of a "
                "statement are ANDed)"
            )
    return problems


def _exempts_only_elb_writers(operator: str, expected: Any) -> bool:
    """A negated account condition naming only ELB's log-delivery accounts: true for every
    caller of the bucket owner's, false only for AWS's log writer."""
    values = [expected] if isinstance(expected, str) else list(expected)
    return operator == "StringNotEquals" and set(values) <= ELB_LOG_DELIVERY_ACCOUNTS


def open_requests(
    statements: list[dict[str, Any]], bucket: str, requests: list[Request]
) -> list[tuple[Request, list[tuple[int, list[str]]]]]:
    """The requests no statement denies, each with every statement's reasons."""
    found = []
    for request in requests:
        reasons = [
            (index, refuses(statement, bucket, request))
            for index, statement in enumerate(statements)
        ]
        if all(problems for _, problems in reasons):
            found.append((request, reasons))
    return found


def sse_fix(bucket: Node, allowed: list[str], require_algorithm: bool) -> str:
    return (
        f"Attach one BucketPolicy to {bucket.name} with a Deny of s3:PutObject for Principal '*' "
        f"on arn:aws:s3:::<bucket>/* when Null {SSE_HEADER} is 'true'"
        + (
            f", and a Deny when StringNotEquals {SSE_HEADER} {allowed!r}"
            if require_algorithm
            else ""
        )
        + " (the EncryptedBucket component does this)."
    )


def sse_check(graph: StackGraph, settings: Mapping[str, Any]) -> Iterator[Violation]:
    """Every upload the bucket must refuse is denied by one statement of its one policy."""
    allowed = [str(value) for value in settings.get("allowedAlgorithms") or DEFAULT_SSE_ALGORITHMS]
    require_algorithm = truthy(settings.get("requireAllowedAlgorithms", True)) is not False
    uploads = uploads_to_refuse(allowed, require_algorithm)
    for bucket in graph.of_type(*BUCKET_TYPES):
        policies = BucketPolicies(graph, bucket)
        fix = sse_fix(bucket, allowed, require_algorithm)
        if not policies.documents:
            yield Violation(
                bucket.urn, bucket.name, f"Bucket {bucket.name} has no bucket policy. {fix}"
            )
            continue
        if len(policies.documents) > 1:
            yield policies.duplicate_violation()
            continue
        ((source, name, statements),) = policies.statements()
        if statements is UNKNOWN or is_unknown(name) or not isinstance(name, str):
            continue  # the document or the bucket name is known only at the update
        if isinstance(statements, PolicyDocumentError):
            yield Violation(
                bucket.urn, bucket.name, f"Bucket {bucket.name}: {source}: {statements}. {fix}"
            )
            continue
        missed = open_requests(statements, name, uploads)
        if missed:
            notes = [
                f"{_label(statements[index], index)} for {request.label}: {'; '.join(problems)}"
                for request, reasons in missed
                for index, problems in reasons
                if _about_encryption(statements[index])
            ]
            found = f" Found ({source}): {' | '.join(notes)}." if notes else ""
            yield Violation(
                bucket.urn,
                bucket.name,
                f"Bucket {bucket.name}: its bucket policy does not deny "
                f"{' nor '.join(request.label for request, _ in missed)}.{found} {fix}",
            )


def _about_encryption(statement: Mapping[str, Any]) -> bool:
    return any(key.lower() == SSE_HEADER for _, key, _ in conditions(statement))


def secure_transport_check(graph: StackGraph, settings: Mapping[str, Any]) -> Iterator[Violation]:
    """One statement of the bucket's one policy denies object reads and writes over plain HTTP
    for every caller and key (a bucket with several policies is reported by the SSE rule)."""
    for bucket in graph.of_type(*BUCKET_TYPES):
        policies = BucketPolicies(graph, bucket)
        if len(policies.documents) > 1:
            continue
        for _source, name, statements in policies.statements():
            if statements is UNKNOWN or is_unknown(name) or not isinstance(name, str):
                break
            if isinstance(statements, list) and not open_requests(
                statements, name, PLAIN_HTTP_REQUESTS
            ):
                break
        else:
            yield Violation(
                bucket.urn,
                bucket.name,
                f"Bucket {bucket.name} accepts requests over plain HTTP: no bucket policy statement "
                "denies s3:* for Principal '*' on its objects when Bool aws:SecureTransport is "
                "'false'. Add that Deny statement on the bucket and its objects.",
            )


# New buckets have all four Block Public Access settings on since April 2023: a bucket without a
# BucketPublicAccessBlock resource keeps them on; writing a block replaces the bucket's whole
# configuration, and a flag the block omits is off (the provider's default, false). The account
# level is off unless an AccountPublicAccessBlock turns it on.
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html
# (https://aws.amazon.com/about-aws/whats-new/2022/12/amazon-s3-automatically-enable-block-public-access-disable-access-control-lists-buckets-april-2023/)
NEW_BUCKET_FLAGS: dict[str, bool | None] = dict.fromkeys(PUBLIC_ACCESS_FLAGS, True)


def _flag_values(node: Node | None, absent: bool) -> dict[str, bool | None]:
    """Each flag as True/False, None when unknown; `absent` for every flag without a block."""
    if node is None:
        return dict.fromkeys(PUBLIC_ACCESS_FLAGS, absent)
    return {flag: truthy(node.get(flag, False)) for flag in PUBLIC_ACCESS_FLAGS}


def effective_flags(account: Node | None, bucket: Node | None) -> dict[str, bool | None]:
    """S3 applies the most restrictive combination of account and bucket settings: a flag is on
    when either level turns it on (None: it depends on a value not known yet). A bucket without
    a block of its own has S3's default for new buckets, every flag on."""
    account_flags, bucket_flags = _flag_values(account, False), _flag_values(bucket, True)
    combined: dict[str, bool | None] = {}
    for flag in PUBLIC_ACCESS_FLAGS:
        values = (account_flags[flag], bucket_flags[flag])
        combined[flag] = True if True in values else (None if None in values else False)
    return combined


def _one_per(owner: str, blocks: list[Node], urn: str, name: str) -> Violation:
    return Violation(
        urn,
        name,
        f"{owner} has {len(blocks)} public access block configurations "
        f"({', '.join(block.name for block in blocks)}); it has exactly one and each write "
        "replaces it, so which one holds is a race. Keep a single one.",
    )


def public_access_block_check(
    graph: StackGraph, settings: Mapping[str, Any]
) -> Iterator[Violation]:
    accounts = graph.of_type(ACCOUNT_PUBLIC_ACCESS_BLOCK)
    if len(accounts) > 1:
        yield _one_per("The account", accounts, accounts[-1].urn, accounts[-1].name)
    account = accounts[0] if len(accounts) == 1 else None
    blocks = graph.of_type(PUBLIC_ACCESS_BLOCK)
    for bucket in graph.of_type(*BUCKET_TYPES):
        linked = graph.sources(bucket, "bucket", blocks, ("bucket",))
        if len(linked) > 1:
            yield _one_per(f"Bucket {bucket.name}", linked, bucket.urn, bucket.name)
            continue
        combined = effective_flags(account, linked[0] if linked else None)
        off = [flag for flag, value in combined.items() if value is False]
        if not off:
            continue
        fix = (
            f"Set block_public_acls, block_public_policy, ignore_public_acls and "
            f"restrict_public_buckets all True on the block of {bucket.name} (a flag it omits is "
            "off), or drop the block: a new bucket has all four on by default."
        )
        what = f"its public access block (with the account's) leaves {', '.join(off)} off"
        yield Violation(bucket.urn, bucket.name, f"Bucket {bucket.name}: {what}. {fix}")


def _fixed_value(key: str, value: Any) -> bool:
    if not isinstance(value, str) or not value or "${" in value:
        return False
    if key != "aws:sourceip":
        return "*" not in value and "?" not in value
    try:
        network = ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        return False
    if network.prefixlen >= WIDEST_FIXED_PREFIX[network.version]:
        return True
    return isinstance(network, ipaddress.IPv4Network) and any(
        network.subnet_of(private) for private in RFC1918
    )


def pins_fixed_values(statement: Mapping[str, Any]) -> bool:
    """Some condition of the statement admits only fixed values of a key S3 accepts."""
    for operator, key, expected in conditions(statement):
        qualifier, base, if_exists = split_operator(operator)
        values = as_list(expected)
        if (
            key.lower() in PINNING_KEYS
            and base in PINNING_OPERATORS
            and not if_exists
            and qualifier != "forallvalues"
            and values
            and all(_fixed_value(key.lower(), value) for value in values)
        ):
            return True
    return False


def _public_statements(statements: list[dict[str, Any]]) -> list[str]:
    found = []
    for index, statement in enumerate(statements):
        if effect(statement) != "allow":
            continue
        if "NotPrincipal" in statement:
            whom = f"everyone but NotPrincipal {statement.get('NotPrincipal')!r}"
        elif principal_is_everyone(statement):
            whom = "Principal '*'"
        else:
            continue
        if pins_fixed_values(statement):
            continue
        found.append(
            f"{_label(statement, index)} allows {statement.get('Action')!r} to {whom} without a "
            "condition pinning a fixed source, VPC, endpoint, account or organization"
        )
    return found


def _public_grants(grants: Any, path: str) -> list[str]:
    found = []
    for index, grant in enumerate(as_list(grants) if not is_unknown(grants) else []):
        if not isinstance(grant, dict):
            continue
        grantee = grant.get("grantee") if isinstance(grant.get("grantee"), dict) else grant
        uri = grantee.get("uri") if isinstance(grantee, dict) else None
        if isinstance(uri, str) and uri in PUBLIC_GRANTEES:
            permission = grant.get("permission", grant.get("permissions"))
            found.append(f"{path}[{index}] grants {permission!r} to {uri.rsplit('/', 1)[-1]}")
    return found


def public_grants_check(node: Node, settings: Mapping[str, Any]) -> Iterator[Violation]:
    kind = node.type.rsplit(":", 1)[-1]
    found: list[str] = []
    acl = node.get("acl")
    if isinstance(acl, str) and not is_unknown(acl) and acl in PUBLIC_CANNED_ACLS:
        found.append(f"acl is {acl!r}")
    if node.type in BUCKET_TYPES:
        found += _public_grants(node.get("grants"), "grants")
    if node.type in BUCKET_ACL_TYPES:
        policy = node.get("accessControlPolicy")
        if isinstance(policy, dict):
            found += _public_grants(policy.get("grants"), "accessControlPolicy.grants")
    if (node.type in BUCKET_TYPES or node.type == BUCKET_POLICY) and node.get("policy") is not None:
        try:
            statements = policy_statements(node.get("policy"))
        except PolicyDocumentError:
            statements = []
        if statements is not UNKNOWN and isinstance(statements, list):
            found += _public_statements(statements)
    if found:
        yield Violation(
            node.urn,
            node.name,
            f"{kind} {node.name} makes the bucket public: {'; '.join(found)}. Use a private ACL "
            "(object ownership BucketOwnerEnforced) and grant access to named principals or with "
            "a condition such as aws:SourceVpce or aws:PrincipalOrgID.",
        )


# --- encryption at rest ----------------------------------------------------------------------


def storage_encrypted_check(node: Node, settings: Mapping[str, Any]) -> Iterator[Violation]:
    key = "encrypted" if node.type == EFS_FILE_SYSTEM else "storageEncrypted"
    value = truthy(node.get(key, False))
    if value is False:
        kind = node.type.rsplit(":", 1)[-1]
        argument = "encrypted" if key == "encrypted" else "storage_encrypted"
        yield Violation(
            node.urn,
            node.name,
            f"{kind} {node.name} stores data unencrypted ({key} is {node.get(key)!r}). "
            f"Set {argument}=True (optionally with a KMS key); it cannot be turned on later "
            "without replacing the resource.",
        )
