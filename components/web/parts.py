"""Plain parts of the web tier: instance type families, the node's IAM policy, the user data.

Plain functions of plain values, so tests can read the policy and run the rendered script
without a Pulumi engine; `components/web/tier.py` applies them to the stack's outputs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from components.web.os_profiles import AMAZON_LINUX_2023, OsProfile

Architecture = Literal["arm64", "x86_64"]
ARCHITECTURES: tuple[Architecture, ...] = ("arm64", "x86_64")

# Instance families that suit a small PHP site, by CPU architecture: Graviton (arm64) first.
INSTANCE_FAMILIES: dict[str, Architecture] = {
    **dict.fromkeys(
        ("t4g", "m6g", "m7g", "m8g", "c6g", "c7g", "c8g", "r6g", "r7g", "r8g"), "arm64"
    ),
    **dict.fromkeys(
        ("t3", "t3a", "m5", "m6i", "m6a", "m7i", "m7a", "c5", "c6i", "c7i", "c7a", "r6i", "r7i"),
        "x86_64",
    ),
}
_INSTANCE_TYPE = re.compile(r"^([a-z][a-z0-9]*)\.([a-z0-9]+)$")

# AWS's public SSM parameters of the current Amazon Linux 2023 AMI, one per architecture:
# https://docs.aws.amazon.com/linux/al2023/ug/ec2.html#launch-from-ssm
AL2023_AMI_PARAMETERS: dict[Architecture, str] = {
    "arm64": "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64",
    "x86_64": "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64",
}
# WordPress's own salt and key names (wp-config-sample.php).
SALT_KEYS = (
    "AUTH_KEY", "SECURE_AUTH_KEY", "LOGGED_IN_KEY", "NONCE_KEY",
    "AUTH_SALT", "SECURE_AUTH_SALT", "LOGGED_IN_SALT", "NONCE_SALT",
)  # fmt: skip
SALT_LENGTH = 64
# Characters a salt may use: none that needs escaping in PHP or JSON strings.
SALT_SPECIALS = "!#%()*+,-.:;<=>?[]^_{|}~"

USER_DATA_TEMPLATE = Path(__file__).parent / "templates" / "wordpress_user_data.sh"
_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
# What a rendered value may hold: it goes between single quotes in the script.
_SAFE_VALUE = re.compile(r"^[A-Za-z0-9._:/@!+=,-]*$")
# The profile's package list is words: spaces too.
_SAFE_WORDS = re.compile(r"^[A-Za-z0-9._:/@!+=, -]*$")
_SHA1 = re.compile(r"^[0-9a-f]{40}$")
# An https:// base URL without a trailing slash, whose release files are <base>/wordpress-<v>.tar.gz.
_BASE_URL = re.compile(r"^https://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~-]+)*$")
_VERSION = re.compile(r"^\d+\.\d+(\.\d+)?$")
_CERTIFICATE_ARN = re.compile(r"^arn:aws[a-z-]*:acm:([a-z0-9-]+):\d{12}:certificate/[0-9a-f-]{36}$")


def check_instance_type(value: str, architecture: str) -> str | None:
    match = _INSTANCE_TYPE.match(value)
    if match is None:
        return "must be an EC2 instance type like t4g.small"
    family = match.group(1)
    if family not in INSTANCE_FAMILIES:
        return f"has an unknown instance family {family!r} (known: {', '.join(INSTANCE_FAMILIES)})"
    if INSTANCE_FAMILIES[family] != architecture:
        return f"is an {INSTANCE_FAMILIES[family]} type, not {architecture}"
    return None


def check_certificate_arn(value: str, region: str | None = None) -> str | None:
    match = _CERTIFICATE_ARN.match(value)
    if match is None:
        return "is not an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>)"
    if region is not None and match.group(1) != region:
        return f"is in {match.group(1)}; the load balancer's certificate must be in {region}"
    return None


def check_wordpress_version(value: str) -> str | None:
    return None if _VERSION.match(value) else "must be a WordPress release like 7.1 or 6.8.3"


def check_sha1(value: str) -> str | None:
    return None if _SHA1.match(value) else "must be the release's sha1: 40 lowercase hex digits"


def check_download_url(value: str) -> str | None:
    if _BASE_URL.match(value) is None or len(value) > 1024:
        return "must be an https:// base URL without a trailing slash (like https://wordpress.org)"
    return None


def check_https_url(value: str) -> str | None:
    if _BASE_URL.match(value) is None or len(value) > 1024:
        return "must be an https:// URL of letters, digits and ._~- (like https://host/file.pem)"
    return None


def check_health_check_path(value: str) -> str | None:
    if not value.startswith("/") or not _SAFE_VALUE.match(value) or len(value) > 1024:
        return "must be a URL path starting with / (like /healthy.html)"
    return None


def salts_document(random_value: str) -> dict[str, str]:
    """The eight WordPress salts, cut from one random value of 8 x 64 characters."""
    return {
        key: random_value[index * SALT_LENGTH : (index + 1) * SALT_LENGTH]
        for index, key in enumerate(SALT_KEYS)
    }


def render_user_data(values: Mapping[str, object], profile: OsProfile = AMAZON_LINUX_2023) -> str:
    """The boot script with every `{{name}}` replaced by `values` and the distribution's
    `profile` (Amazon Linux 2023 on the nodes); refuses a missing or unsafe value."""
    template = USER_DATA_TEMPLATE.read_text(encoding="utf-8")
    words = profile.values()
    if overlap := set(words) & set(values):
        raise ValueError(f"user data: {sorted(overlap)} belong to the OS profile")
    everything = {**values, **words}
    needed = set(_PLACEHOLDER.findall(template))
    if missing := needed - set(everything):
        raise ValueError(f"user data: no value for {sorted(missing)}")
    for key in needed:
        safe = _SAFE_WORDS if key in words else _SAFE_VALUE
        if not safe.match(str(everything[key])):
            raise ValueError(f"user data: {key} = {everything[key]!r} cannot be put in the script")
    return _PLACEHOLDER.sub(lambda match: str(everything[match.group(1)]), template)


def node_policy_document(
    *,
    db_secret_arn: str,
    salts_secret_arn: str,
    file_system_arn: str,
    access_point_arn: str,
) -> dict[str, Any]:
    """What a node does besides SSM and the media bucket: read its two secrets, mount EFS."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ReadTheDatabaseAndSaltSecrets",
                "Effect": "Allow",
                "Action": "secretsmanager:GetSecretValue",
                "Resource": [db_secret_arn, salts_secret_arn],
            },
            {
                "Sid": "MountWpContentThroughTheAccessPoint",
                "Effect": "Allow",
                "Action": ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
                "Resource": file_system_arn,
                "Condition": {
                    "StringEquals": {"elasticfilesystem:AccessPointArn": access_point_arn}
                },
            },
        ],
    }
