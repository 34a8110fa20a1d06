"""ACM certificates validated by DNS in a Route 53 zone, and the checks of their settings.

A plain helper, used by the edge (the site's certificate, in us-east-1: CloudFront takes
certificates only from there) and by `ChaliceApi` (a REGIONAL custom domain takes a certificate
of its own region). One validation record per certificate (one name each, so the count is
known at plan time): https://docs.aws.amazon.com/acm/latest/userguide/dns-validation.html
"""

from __future__ import annotations

import re

import pulumi
import pulumi_aws as aws

_CERTIFICATE = re.compile(r"^arn:aws[a-z-]*:acm:([a-z0-9-]+):\d{12}:certificate/[0-9a-f-]{36}$")
_DOMAIN = re.compile(r"^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_ZONE_ID = re.compile(r"^Z[A-Z0-9]{1,31}$")


def check_domain(value: str) -> str | None:
    return None if _DOMAIN.match(value) else "is not a domain name (lowercase, like example.com)"


def check_zone_id(value: str) -> str | None:
    if _ZONE_ID.match(value):
        return None
    return "is not a Route 53 hosted zone id (like Z0123456789ABC)"


def check_certificate_arn(value: str, region: str) -> str | None:
    match = _CERTIFICATE.match(value)
    if match is None:
        return "is not an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>)"
    if match.group(1) != region:
        return f"is in {match.group(1)}; this certificate must be in {region}"
    return None


def zone_id(domain: str, hosted_zone_id: str | None, parent: pulumi.Resource) -> pulumi.Input[str]:
    """The given zone id, or the public zone of `domain` looked up by name."""
    if hosted_zone_id is not None:
        return hosted_zone_id
    options = pulumi.InvokeOutputOptions(parent=parent)
    return aws.route53.get_zone_output(name=domain, private_zone=False, opts=options).zone_id


def validated_certificate(
    name: str,
    domain: str,
    zone: pulumi.Input[str],
    parent: pulumi.Resource,
    provider: aws.Provider | None = None,
) -> pulumi.Output[str]:
    """A DNS-validated certificate for `domain`: its ARN once ACM has issued it."""
    opts = pulumi.ResourceOptions(parent=parent, provider=provider)
    certificate = aws.acm.Certificate(
        name, domain_name=domain, validation_method="DNS", key_algorithm="EC_prime256v1", opts=opts
    )
    option = certificate.domain_validation_options.apply(lambda options: options[0])
    record = aws.route53.Record(
        f"{name}-validation",
        zone_id=zone,
        name=option.apply(lambda o: o.resource_record_name or ""),
        type=option.apply(lambda o: o.resource_record_type or "CNAME"),
        records=[option.apply(lambda o: o.resource_record_value or "")],
        ttl=300,
        allow_overwrite=True,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    validation = aws.acm.CertificateValidation(
        f"{name}-validated",
        certificate_arn=certificate.arn,
        validation_record_fqdns=[record.fqdn],
        opts=opts,
    )
    return validation.certificate_arn
