"""Run the Pulumi program offline, under the SDK's own mocks, and keep every registered resource.

This is what the tests and the offline plan command share. The stack's config comes from
`Pulumi.yaml` defaults and `Pulumi.<stack>.yaml`, as the CLI would merge them. The mocks answer
like AWS would: ids and ARNs for new resources (unknown during a preview, as in a real preview),
and the data-source calls the program makes (availability zones, caller identity, region).
"""

from __future__ import annotations

import hashlib
import json
import logging
import runpy
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml
from google.protobuf import json_format, struct_pb2
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc, settings, stack
from pulumi.runtime.sync_await import _sync_await

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "us-east-1"
ZONE_LETTERS = "abcdef"
UNKNOWN = rpc.UNKNOWN
STACK_TYPE = "pulumi:pulumi:Stack"


class ConfigFileError(ValueError):
    """A stack file that cannot be read as Pulumi stack config."""


class ProgramFailed(Exception):
    """The program raised; `__cause__` is its error and `plan` what it registered before."""

    def __init__(self, plan: Plan):
        self.plan = plan
        super().__init__(f"the program failed after registering {len(plan.resources)} resources")


@dataclass(frozen=True)
class PlannedResource:
    """One resource as the program registered it, with what the engine would know of it."""

    urn: str
    type: str
    name: str
    custom: bool
    parent: str
    provider: str
    inputs: dict[str, Any]
    # The inputs exactly as sent to the engine: secrets wrapped, unknowns as the unknown marker.
    properties: struct_pb2.Struct
    dependencies: list[str]
    property_dependencies: dict[str, list[str]]
    id: str = ""
    outputs: dict[str, Any] = field(default_factory=dict)


@dataclass
class Plan:
    """Everything a mocked run of the program registered."""

    stack: str
    preview: bool
    resources: list[PlannedResource]
    # Stack outputs as sent to the engine (secret values stay wrapped in the secret marker).
    exports: dict[str, Any]
    project: str = "platform"
    region: str = DEFAULT_REGION
    # What the program logged at warning level or above: (severity, message).
    diagnostics: list[tuple[str, str]] = field(default_factory=list)
    # Secret keys encrypted in the stack file, planned with their `SECRET_STAND_INS` value.
    stand_ins: list[str] = field(default_factory=list)

    def of_type(self, resource_type: str) -> list[PlannedResource]:
        return [resource for resource in self.resources if resource.type == resource_type]

    def named(self, name: str) -> PlannedResource:
        matches = [resource for resource in self.resources if resource.name == name]
        if len(matches) != 1:
            raise KeyError(f"{len(matches)} resources are named {name!r}")
        return matches[0]

    def by_urn(self, urn: str) -> PlannedResource:
        return next(resource for resource in self.resources if resource.urn == urn)

    def children(self, parent_urn: str) -> list[PlannedResource]:
        return [resource for resource in self.resources if resource.parent == parent_urn]

    def count_by_type(self) -> Counter[str]:
        return Counter(resource.type for resource in self.resources)


# --- stack config --------------------------------------------------------------------------

# What an offline run uses for a value encrypted in a stack file (`secure: ...`), which it cannot
# decrypt: per secret key, a value that passes that setting's validation and is obviously fake.
SECRET_STAND_INS: dict[str, str] = {
    "platform:alertPhoneNumber": "+15555550100",  # 555-01xx: reserved for fiction
    "platform:dbPassword": "offline-Stand-In-0",
    "platform:monitorWebhookUrl": "https://hooks.example.com/services/offline-stand-in",
}


@dataclass(frozen=True)
class StackConfig:
    project: str
    # Config values as the program reads them, by qualified key (`platform:natStrategy`).
    values: dict[str, str]
    # Keys whose value was encrypted in the stack file and is a stand-in here.
    encrypted: list[str]


def read_stack_config(
    stack_name: str, root: Path = PROJECT_ROOT, stack_file: Path | None = None
) -> StackConfig:
    """(project, config) for a stack, with Pulumi.yaml defaults applied.

    Encrypted (`secure:`) values cannot be decrypted offline: each is replaced by its key's
    stand-in from `SECRET_STAND_INS` and its key returned in `encrypted`, so it stays a secret.
    A key without a stand-in is refused, naming `--secret KEY=VALUE`.
    """
    project_file = yaml.safe_load((root / "Pulumi.yaml").read_text())
    project = project_file["name"]
    config: dict[str, str] = {}
    encrypted: list[str] = []
    for key, spec in (project_file.get("config") or {}).items():
        if isinstance(spec, dict) and "default" in spec:
            config[_qualified(project, key)] = config_string(spec["default"])
    path = stack_file or root / f"Pulumi.{stack_name}.yaml"
    if not path.exists():
        raise ConfigFileError(_no_stack(stack_name, path, root))
    try:
        stack_config = (yaml.safe_load(path.read_text()) or {}).get("config") or {}
    except yaml.YAMLError as error:
        raise ConfigFileError(f"{path} is not valid YAML: {error}") from error
    for key, value in stack_config.items():
        qualified = _qualified(project, key)
        if isinstance(value, dict) and set(value) == {"secure"}:
            if qualified not in SECRET_STAND_INS:
                raise ConfigFileError(
                    f"{path}: {qualified} is encrypted and has no offline stand-in; "
                    "pass one with --secret KEY=VALUE"
                )
            value = SECRET_STAND_INS[qualified]
            encrypted.append(qualified)
        config[qualified] = config_string(value)
    return StackConfig(project, config, encrypted)


def _no_stack(stack_name: str, path: Path, root: Path) -> str:
    stacks = sorted(file.name.split(".")[1] for file in root.glob("Pulumi.*.yaml"))
    return (
        f"no stack {stack_name!r}: stack file {path} does not exist; "
        f"stacks here: {', '.join(stacks) or '(none)'}"
    )


def _qualified(project: str, key: str) -> str:
    return key if ":" in key else f"{project}:{key}"


def config_string(value: Any) -> str:
    """Config values reach a program as strings: scalars as text, lists and maps as JSON."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value)
    return str(value)


# --- mocks ---------------------------------------------------------------------------------


def _short_hash(*parts: str, length: int = 17) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


# Prefixes of the ids AWS gives these resources (vpc-0abc..., subnet-0abc...).
ID_PREFIXES = {
    "aws:ec2/vpc:Vpc": "vpc",
    "aws:ec2/subnet:Subnet": "subnet",
    "aws:ec2/internetGateway:InternetGateway": "igw",
    "aws:ec2/natGateway:NatGateway": "nat",
    "aws:ec2/eip:Eip": "eipalloc",
    "aws:ec2/routeTable:RouteTable": "rtb",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "rtbassoc",
    "aws:ec2/networkAcl:NetworkAcl": "acl",
    "aws:ec2/securityGroup:SecurityGroup": "sg",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "sg",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "sgr",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "sgr",
    "aws:ec2/flowLog:FlowLog": "fl",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "vpce",
    "aws:efs/fileSystem:FileSystem": "fs",
    "aws:efs/mountTarget:MountTarget": "fsmt",
    "aws:efs/accessPoint:AccessPoint": "fsap",
    "aws:ec2/launchTemplate:LaunchTemplate": "lt",
}

# Resources the provider names itself when the program does not: type -> name property.
AUTONAMED = {
    "aws:cloudwatch/logGroup:LogGroup": "name",
    "aws:iam/role:Role": "name",
    "aws:iam/rolePolicy:RolePolicy": "name",
    "aws:lambda/function:Function": "name",
    "aws:s3/bucket:Bucket": "bucket",
    "aws:rds/instance:Instance": "identifier",
    "aws:rds/subnetGroup:SubnetGroup": "name",
    "aws:rds/parameterGroup:ParameterGroup": "name",
    "aws:dynamodb/table:Table": "name",
    "aws:sns/topic:Topic": "name",
    "aws:cloudwatch/eventRule:EventRule": "name",
    "aws:cloudwatch/metricAlarm:MetricAlarm": "name",
    "aws:sqs/queue:Queue": "name",
    "aws:kinesis/stream:Stream": "name",
    "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream": "name",
    "aws:secretsmanager/secret:Secret": "name",
    "aws:iam/instanceProfile:InstanceProfile": "name",
    "aws:autoscaling/group:Group": "name",
    "aws:lb/loadBalancer:LoadBalancer": "name",
    "aws:lb/targetGroup:TargetGroup": "name",
    "aws:cloudwatch/logDeliverySource:LogDeliverySource": "name",
    "aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination": "name",
}

# Resources whose ids AWS makes up as short random strings (a REST API id: 10 characters).
RANDOM_ID_LENGTHS = {
    "aws:apigateway/restApi:RestApi": 10,
    "aws:apigateway/deployment:Deployment": 6,
    "aws:cloudfront/distribution:Distribution": 14,
}


class AwsMocks(pulumi.runtime.Mocks):
    """Answers the engine the way AWS and the provider would, deterministically."""

    def __init__(self, region: str = DEFAULT_REGION, preview: bool = False):
        self.region = region
        self.preview = preview

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict]:
        state = dict(args.inputs)
        name_property = AUTONAMED.get(args.typ)
        if name_property and not state.get(name_property):
            name_prefix = state.get(f"{name_property}Prefix")  # bucketPrefix, namePrefix
            if name_prefix is None:
                state[name_property] = f"{args.name}-{_short_hash(args.typ, args.name, length=7)}"
            elif not self.preview:
                # The provider makes a name from the prefix only when it creates the resource.
                state[name_property] = name_prefix + _short_hash(args.typ, args.name, length=26)
        if self.preview:
            # A preview knows only the inputs: ids, ARNs and other computed values are unknown.
            return "", state
        resource_id = self._resource_id(args, state)
        state.update(self._computed(args.typ, resource_id, state))
        return resource_id, state

    def _resource_id(self, args: pulumi.runtime.MockResourceArgs, state: dict) -> str:
        prefix = ID_PREFIXES.get(args.typ)
        if prefix:
            return f"{prefix}-0{_short_hash(args.typ, args.name, length=16)}"
        name_property = AUTONAMED.get(args.typ)
        if name_property:
            return str(state[name_property])
        if args.typ in RANDOM_ID_LENGTHS:
            return _short_hash(args.typ, args.name, length=RANDOM_ID_LENGTHS[args.typ])
        return f"{args.name}-{_short_hash(args.typ, args.name, length=8)}"

    def _computed(self, resource_type: str, resource_id: str, state: dict) -> dict[str, Any]:
        compute = COMPUTED_OUTPUTS.get(resource_type)
        return compute(self, resource_id, state) if compute else {}

    def arn(self, service: str, resource: str, *, regional: bool = True) -> str:
        region = self.region if regional else ""
        return f"arn:aws:{service}:{region}:{ACCOUNT_ID}:{resource}"

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict, list[tuple[str, str]] | None]:
        answer = CALLS.get(args.token)
        if answer is None:
            raise NotImplementedError(
                f"the offline mocks do not answer the data source {args.token}"
            )
        return answer(self, args.args), []


def _ec2_arn(kind: str) -> Callable[[AwsMocks, str, dict], dict[str, Any]]:
    return lambda mocks, resource_id, state: {"arn": mocks.arn("ec2", f"{kind}/{resource_id}")}


def _lambda_function_outputs(mocks: AwsMocks, arn: str, publish: bool = False) -> dict[str, Any]:
    version = "1" if publish else "$LATEST"  # a published function's first version
    return {
        "arn": arn,
        "invoke_arn": f"arn:aws:apigateway:{mocks.region}:lambda:path/2015-03-31/functions/"
        f"{arn}/invocations",
        "qualified_arn": f"{arn}:{version}",
        "version": version,
    }


def _load_balancing_outputs(kind: str) -> Callable[[AwsMocks, str, dict], dict[str, Any]]:
    """An ALB or target group: ARN, the ARN suffix CloudWatch uses, and an ALB's DNS name."""

    def outputs(mocks: AwsMocks, resource_id: str, state: dict) -> dict[str, Any]:
        suffix = f"{kind}/{state['name']}/{_short_hash(resource_id, length=16)}"
        computed = {
            "arn": mocks.arn("elasticloadbalancing", suffix),
            "arnSuffix": suffix,
        }
        if kind == "app":
            computed["dnsName"] = f"{state['name']}-1234567890.{mocks.region}.elb.amazonaws.com"
            computed["zoneId"] = "Z35SXDOTRQ7X7K"
        return computed

    return outputs


# The edge (CloudFront, WAF, ACM, Route 53): ids and ARNs in AWS's shapes.
EDGE_OUTPUTS: dict[str, Callable[[AwsMocks, str, dict], dict[str, Any]]] = {
    "aws:cloudfront/distribution:Distribution": lambda mocks, resource_id, state: {
        "arn": f"arn:aws:cloudfront::{ACCOUNT_ID}:distribution/{resource_id.upper()}",
        "domainName": f"d{_short_hash(resource_id, length=13)}.cloudfront.net",
        # CloudFront's one hosted zone for alias records (Route 53 AliasTarget docs).
        "hostedZoneId": "Z2FDTNDATAQYW2",
    },
    "aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination": lambda mocks, r, state: {
        "arn": f"arn:aws:logs:us-east-1:{ACCOUNT_ID}:delivery-destination:{state['name']}",
    },
    "aws:cloudwatch/logDeliverySource:LogDeliverySource": lambda mocks, r, state: {
        "arn": f"arn:aws:logs:us-east-1:{ACCOUNT_ID}:delivery-source:{state['name']}",
    },
    "aws:wafv2/webAcl:WebAcl": lambda mocks, resource_id, state: {
        "arn": f"arn:aws:wafv2:{'us-east-1' if state['scope'] == 'CLOUDFRONT' else mocks.region}:"
        f"{ACCOUNT_ID}:{'global' if state['scope'] == 'CLOUDFRONT' else 'regional'}/webacl/"
        f"{state['name']}/{_short_hash(resource_id, length=36)}",
    },
    # The listener the edge's origin-header rule is added to.
    "aws:lb/listener:Listener": lambda mocks, resource_id, state: {
        "arn": mocks.arn(
            "elasticloadbalancing", f"listener/app/{_short_hash(resource_id, length=16)}"
        ),
    },
    "aws:wafv2/ipSet:IpSet": lambda mocks, resource_id, state: {
        "arn": f"arn:aws:wafv2:us-east-1:{ACCOUNT_ID}:global/ipset/{state['name']}/"
        f"{_short_hash(resource_id, length=36)}",
    },
    "aws:acm/certificate:Certificate": lambda mocks, resource_id, state: {
        "arn": f"arn:aws:acm:{state.get('region') or mocks.region}:{ACCOUNT_ID}:certificate/"
        f"{_uuid(resource_id)}",
        "domainValidationOptions": [
            {
                "domainName": name,
                "resourceRecordName": f"_{_short_hash(name, length=32)}.{name}.",
                "resourceRecordType": "CNAME",
                "resourceRecordValue": f"_{_short_hash(name, 'v', length=32)}.acm-validations.aws.",
            }
            for name in [state["domainName"], *state.get("subjectAlternativeNames", [])]
        ],
    },
    "aws:apigateway/domainName:DomainName": lambda mocks, resource_id, state: {
        "regionalDomainName": f"d-{_short_hash(resource_id, length=10)}.execute-api."
        f"{mocks.region}.amazonaws.com",
        "regionalZoneId": "Z1UJRXOUMOOFQ8",
    },
    "aws:route53/record:Record": lambda mocks, resource_id, state: {
        "fqdn": str(state.get("name", "")).rstrip("."),
    },
    "aws:route53/healthCheck:HealthCheck": lambda mocks, resource_id, state: {
        "arn": f"arn:aws:route53:::healthcheck/{_uuid(resource_id)}",
    },
}


def _uuid(seed: str) -> str:
    digits = _short_hash(seed, "uuid", length=32)
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"


COMPUTED_OUTPUTS: dict[str, Callable[[AwsMocks, str, dict], dict[str, Any]]] = {
    **EDGE_OUTPUTS,
    "aws:lb/loadBalancer:LoadBalancer": _load_balancing_outputs("app"),
    "aws:lb/targetGroup:TargetGroup": _load_balancing_outputs("targetgroup"),
    "aws:ec2/launchTemplate:LaunchTemplate": lambda mocks, resource_id, state: {
        "arn": mocks.arn("ec2", f"launch-template/{resource_id}"),
        "latestVersion": 1,
        "defaultVersion": 1,
    },
    "aws:secretsmanager/secret:Secret": lambda mocks, resource_id, state: {
        "arn": mocks.arn("secretsmanager", f"secret:{state['name']}-AbCdEf"),
    },
    "aws:iam/instanceProfile:InstanceProfile": lambda mocks, resource_id, state: {
        "arn": mocks.arn("iam", f"instance-profile/{state['name']}", regional=False),
    },
    "aws:autoscaling/group:Group": lambda mocks, resource_id, state: {
        "arn": mocks.arn("autoscaling", f"autoScalingGroup:{resource_id}"),
    },
    # The random provider's password: a value of the asked length, deterministic here.
    "random:index/randomPassword:RandomPassword": lambda mocks, resource_id, state: {
        "result": (_short_hash(resource_id, "password", length=64) * 16)[: int(state["length"])],
    },
    "aws:ec2/vpc:Vpc": lambda mocks, resource_id, state: {
        "arn": mocks.arn("ec2", f"vpc/{resource_id}"),
        "default_security_group_id": f"sg-0{_short_hash(resource_id, 'default')}",
        "main_route_table_id": f"rtb-0{_short_hash(resource_id, 'main')}",
        "default_network_acl_id": f"acl-0{_short_hash(resource_id, 'default')}",
    },
    "aws:ec2/subnet:Subnet": _ec2_arn("subnet"),
    "aws:ec2/securityGroup:SecurityGroup": _ec2_arn("security-group"),
    "aws:ec2/eip:Eip": lambda mocks, resource_id, state: {
        "allocation_id": resource_id,
        "public_ip": "198.51.100." + str(int(_short_hash(resource_id, length=2), 16) % 250 + 1),
    },
    "aws:cloudwatch/logGroup:LogGroup": lambda mocks, resource_id, state: {
        "arn": mocks.arn("logs", f"log-group:{state['name']}"),
    },
    "aws:iam/role:Role": lambda mocks, resource_id, state: {
        "arn": mocks.arn("iam", f"role/{state['name']}", regional=False),
        "unique_id": "AROA" + _short_hash(resource_id, length=17).upper(),
    },
    "aws:s3/bucket:Bucket": lambda mocks, resource_id, state: {
        "arn": f"arn:aws:s3:::{resource_id}",
        "bucketDomainName": f"{resource_id}.s3.amazonaws.com",
        "bucketRegionalDomainName": f"{resource_id}.s3.{mocks.region}.amazonaws.com",
        "region": mocks.region,
    },
    "aws:rds/subnetGroup:SubnetGroup": lambda mocks, resource_id, state: {
        "arn": mocks.arn("rds", f"subgrp:{resource_id}"),
    },
    "aws:rds/parameterGroup:ParameterGroup": lambda mocks, resource_id, state: {
        "arn": mocks.arn("rds", f"pg:{resource_id}"),
    },
    "aws:rds/instance:Instance": lambda mocks, resource_id, state: _rds_instance_outputs(
        mocks, resource_id, state
    ),
    "aws:efs/fileSystem:FileSystem": lambda mocks, resource_id, state: {
        "arn": mocks.arn("elasticfilesystem", f"file-system/{resource_id}"),
        "dnsName": f"{resource_id}.efs.{mocks.region}.amazonaws.com",
    },
    "aws:efs/mountTarget:MountTarget": lambda mocks, resource_id, state: {
        "dnsName": f"{state['fileSystemId']}.efs.{mocks.region}.amazonaws.com",
        "networkInterfaceId": f"eni-0{_short_hash(resource_id)}",
    },
    "aws:efs/accessPoint:AccessPoint": lambda mocks, resource_id, state: {
        "arn": mocks.arn("elasticfilesystem", f"access-point/{resource_id}"),
    },
    "aws:lambda/function:Function": lambda mocks, resource_id, state: _lambda_function_outputs(
        mocks, mocks.arn("lambda", f"function:{state['name']}"), bool(state.get("publish"))
    ),
    "aws:lambda/alias:Alias": lambda mocks, resource_id, state: {
        "arn": mocks.arn("lambda", f"function:{state['functionName']}:{state['name']}"),
    },
    "aws:sqs/queue:Queue": lambda mocks, resource_id, state: {
        "arn": mocks.arn("sqs", state["name"]),
        "url": f"https://sqs.{mocks.region}.amazonaws.com/{ACCOUNT_ID}/{state['name']}",
    },
    "aws:kms/key:Key": lambda mocks, resource_id, state: {
        "arn": mocks.arn("kms", f"key/{resource_id}"),
        "key_id": resource_id,
    },
    "aws:kinesis/stream:Stream": lambda mocks, resource_id, state: {
        "arn": mocks.arn("kinesis", f"stream/{state['name']}"),
    },
    "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream": lambda mocks, resource_id, state: {
        "arn": mocks.arn("firehose", f"deliverystream/{state['name']}"),
    },
    "aws:apigateway/restApi:RestApi": lambda mocks, resource_id, state: {
        "arn": f"arn:aws:apigateway:{mocks.region}::/restapis/{resource_id}",
        "execution_arn": mocks.arn("execute-api", resource_id),
        "root_resource_id": _short_hash(resource_id, "root", length=10),
    },
    "aws:dynamodb/table:Table": lambda mocks, resource_id, state: {
        "arn": mocks.arn("dynamodb", f"table/{state['name']}"),
    },
    "aws:sns/topic:Topic": lambda mocks, resource_id, state: {
        "arn": mocks.arn("sns", state["name"]),
    },
    "aws:cloudwatch/eventRule:EventRule": lambda mocks, resource_id, state: {
        "arn": mocks.arn("events", f"rule/{state['name']}"),
    },
    "aws:cloudwatch/metricAlarm:MetricAlarm": lambda mocks, resource_id, state: {
        "arn": mocks.arn("cloudwatch", f"alarm:{state['name']}"),
    },
    "aws:cloudwatch/dashboard:Dashboard": lambda mocks, resource_id, state: {
        "dashboard_arn": mocks.arn(
            "cloudwatch", f"dashboard/{state['dashboardName']}", regional=False
        ),
    },
    "aws:apigateway/resource:Resource": lambda mocks, resource_id, state: {
        "path": f"/{state['pathPart']}",
    },
    "aws:apigateway/stage:Stage": lambda mocks, resource_id, state: {
        "arn": f"arn:aws:apigateway:{mocks.region}::/restapis/{state['restApi']}"
        f"/stages/{state['stageName']}",
        "execution_arn": mocks.arn("execute-api", f"{state['restApi']}/{state['stageName']}"),
        "invoke_url": f"https://{state['restApi']}.execute-api.{mocks.region}.amazonaws.com/"
        f"{state['stageName']}",
    },
}


def aws_managed_key_arn(region: str, alias: str) -> str:
    """The offline ARN of the key an alias like `alias/aws/sns` names (the getAlias answer)."""
    return f"arn:aws:kms:{region}:{ACCOUNT_ID}:key/{_short_hash(alias, length=8)}"


def _rds_instance_outputs(mocks: AwsMocks, resource_id: str, state: dict) -> dict[str, Any]:
    """What RDS reports of a new instance: its endpoint, and the secret when RDS manages it."""
    port = int(state.get("port") or 3306)
    cluster = _short_hash(resource_id, length=12)
    address = f"{resource_id}.c{cluster}.{mocks.region}.rds.amazonaws.com"
    outputs: dict[str, Any] = {
        "arn": mocks.arn("rds", f"db:{resource_id}"),
        "address": address,
        "endpoint": f"{address}:{port}",
        "port": port,
        "resourceId": "db-" + _short_hash(resource_id, length=26).upper(),
        "engineVersionActual": state.get("engineVersion", ""),
    }
    if state.get("manageMasterUserPassword"):
        secret = f"rds!db-{_short_hash(resource_id, 'secret', length=36)}-AbCdEf"
        outputs["masterUserSecrets"] = [
            {
                "secretArn": mocks.arn("secretsmanager", f"secret:{secret}"),
                "secretStatus": "active",
                # Without masterUserSecretKmsKeyId, RDS encrypts it with aws/secretsmanager.
                "kmsKeyId": aws_managed_key_arn(mocks.region, "alias/aws/secretsmanager"),
            }
        ]
    return outputs


# CloudFront's managed policies, by name, with the ids AWS documents for them:
# https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-cache-policies.html
# https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-origin-request-policies.html
MANAGED_CLOUDFRONT_POLICIES = {
    "Managed-CachingOptimized": "658327ea-f89d-4fab-a63d-7e88639e58f6",
    "Managed-CachingDisabled": "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
    "Managed-AllViewerAndCloudFrontHeaders-2022-06": "33f36d7e-f396-46d9-90e0-52428a34d9dc",
}
# The managed prefix list of CloudFront's origin-facing servers (an id of AWS's shape).
CLOUDFRONT_PREFIX_LIST_NAME = "com.amazonaws.global.cloudfront.origin-facing"
CLOUDFRONT_PREFIX_LIST_ID = "pl-3b927c52"
OFFLINE_ZONE_ID = "Z0123456789ABCDEFGHIJ"


def _managed_policy(mocks: AwsMocks, args: dict) -> dict[str, Any]:
    name = args["name"]
    if name not in MANAGED_CLOUDFRONT_POLICIES:
        raise NotImplementedError(f"the offline mocks know no managed CloudFront policy {name}")
    return {"id": MANAGED_CLOUDFRONT_POLICIES[name], "name": name}


def _prefix_list(mocks: AwsMocks, args: dict) -> dict[str, Any]:
    names = [value for f in args.get("filters", []) for value in f.get("values", [])]
    if args.get("name", CLOUDFRONT_PREFIX_LIST_NAME) != CLOUDFRONT_PREFIX_LIST_NAME or (
        names and names != [CLOUDFRONT_PREFIX_LIST_NAME]
    ):
        raise NotImplementedError(f"the offline mocks know no prefix list {args}")
    return {
        "id": CLOUDFRONT_PREFIX_LIST_ID,
        "name": CLOUDFRONT_PREFIX_LIST_NAME,
        "addressFamily": "IPv4",
        "maxEntries": 55,
        "cidrBlocks": ["130.176.0.0/18", "15.158.0.0/16"],
    }


CALLS: dict[str, Callable[[AwsMocks, dict], dict[str, Any]]] = {
    "aws:cloudfront/getCachePolicy:getCachePolicy": _managed_policy,
    "aws:cloudfront/getOriginRequestPolicy:getOriginRequestPolicy": _managed_policy,
    "aws:ec2/getManagedPrefixList:getManagedPrefixList": _prefix_list,
    "aws:route53/getZone:getZone": lambda mocks, args: {
        "zoneId": OFFLINE_ZONE_ID,
        "id": OFFLINE_ZONE_ID,
        "name": args["name"].rstrip("."),
        "privateZone": False,
    },
    "aws:index/getAvailabilityZones:getAvailabilityZones": lambda mocks, args: {
        "names": [f"{mocks.region}{letter}" for letter in ZONE_LETTERS],
        "zoneIds": [f"use1-az{index + 1}" for index in range(len(ZONE_LETTERS))],
        "groupNames": [mocks.region] * len(ZONE_LETTERS),
        "id": mocks.region,
    },
    "aws:index/getCallerIdentity:getCallerIdentity": lambda mocks, args: {
        "accountId": ACCOUNT_ID,
        "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/offline-plan",
        "userId": "AIDAOFFLINEPLAN",
        "id": ACCOUNT_ID,
    },
    "aws:index/getRegion:getRegion": lambda mocks, args: {
        "region": mocks.region,
        "name": mocks.region,
        "id": mocks.region,
        "description": "offline region",
        "endpoint": f"ec2.{mocks.region}.amazonaws.com",
    },
    "aws:kms/getAlias:getAlias": lambda mocks, args: {
        "name": args["name"],
        "arn": mocks.arn("kms", args["name"]),
        "targetKeyArn": aws_managed_key_arn(mocks.region, args["name"]),
        "targetKeyId": _short_hash(args["name"], length=8),
        "id": args["name"],
    },
    "aws:index/getPartition:getPartition": lambda mocks, args: {
        "partition": "aws",
        "dnsSuffix": "amazonaws.com",
        "reverseDnsPrefix": "com.amazonaws",
        "id": "aws",
    },
}


class _Diagnostics(logging.Handler):
    """Keeps what the program logs through `pulumi.log` (the mock engine writes to a logger)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append((record.levelname.lower(), record.getMessage()))


def _diagnostics_logger() -> tuple[logging.Logger, _Diagnostics]:
    handler = _Diagnostics()
    logger = logging.Logger("offline-plan")  # not registered: each run has its own
    logger.propagate = False
    logger.addHandler(handler)
    return logger, handler


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """The SDK's mock monitor, also keeping what the engine would see of each registration."""

    def __init__(self, mocks: AwsMocks):
        super().__init__(mocks)
        self.registrations: list[PlannedResource] = []
        self.stack_outputs = struct_pb2.Struct()

    def RegisterResource(self, request):  # noqa: N802 - gRPC method name
        response = super().RegisterResource(request)
        if request.type != STACK_TYPE:
            state = rpc.deserialize_properties(response.object) if response.object else {}
            properties = struct_pb2.Struct()
            properties.CopyFrom(request.object)
            self.registrations.append(
                PlannedResource(
                    urn=response.urn,
                    type=request.type,
                    name=request.name,
                    custom=request.custom,
                    parent=request.parent,
                    provider=request.provider,
                    inputs=rpc.deserialize_properties(request.object),
                    properties=properties,
                    dependencies=list(request.dependencies),
                    property_dependencies={
                        key: list(value.urns) for key, value in request.propertyDependencies.items()
                    },
                    id=response.id,
                    outputs=state,
                )
            )
        return response

    def RegisterResourceOutputs(self, request):  # noqa: N802 - gRPC method name
        if request.urn.endswith(f"::{STACK_TYPE}::" + request.urn.rsplit("::", 1)[-1]):
            self.stack_outputs.CopyFrom(request.outputs)
        return super().RegisterResourceOutputs(request)


# --- running the program -------------------------------------------------------------------


def run_program(
    stack_name: str,
    *,
    preview: bool = False,
    config_overrides: Mapping[str, str] | None = None,
    secrets: Mapping[str, str] | None = None,
    stack_file: Path | None = None,
    program: Callable[[], object] | None = None,
    root: Path = PROJECT_ROOT,
) -> Plan:
    """Run the program (or `program`) for a stack under mocks and return what it registered.

    `config_overrides` and `secrets` take keys with or without the project prefix; secrets are
    marked secret like `pulumi config set --secret` would, as are the stand-ins of values the
    stack file encrypts (a value in `secrets` replaces its stand-in).
    """
    stack_config = read_stack_config(stack_name, root, stack_file)
    project, config = stack_config.project, stack_config.values
    for key, value in (config_overrides or {}).items():
        config[_qualified(project, key)] = value
    given = {_qualified(project, key): value for key, value in (secrets or {}).items()}
    config.update(given)
    secret_keys = sorted({*stack_config.encrypted, *given})
    stand_ins = [key for key in stack_config.encrypted if key not in given]
    region = config.get("aws:region", DEFAULT_REGION)
    mocks = AwsMocks(region=region, preview=preview)
    monitor = RecordingMonitor(mocks)
    logger, diagnostics = _diagnostics_logger()
    _reset_runtime()
    pulumi.runtime.set_all_config(config, secret_keys)
    pulumi.runtime.set_mocks(
        mocks, project=project, stack=stack_name, preview=preview, monitor=monitor, logger=logger
    )
    # set_mocks makes a root stack of its own; run_in_stack makes the one that keeps the exports.
    settings.ROOT.set(None)

    def run() -> None:
        if program is not None:
            program()
        else:
            runpy.run_path(str(root / "__main__.py"), run_name="__main__")

    def plan() -> Plan:
        return Plan(
            stack=stack_name,
            preview=preview,
            resources=monitor.registrations,
            exports=json_format.MessageToDict(monitor.stack_outputs),
            project=project,
            region=region,
            diagnostics=[*map(_stand_in_note, stand_ins), *diagnostics.records],
            stand_ins=stand_ins,
        )

    try:
        _sync_await(stack.run_in_stack(run))
    except Exception as error:
        raise ProgramFailed(plan()) from error
    return plan()


def _stand_in_note(key: str) -> tuple[str, str]:
    return (
        "note",
        f"{key} is encrypted in the stack file: planned with an offline stand-in, kept secret "
        "(try a real value with --secret KEY=VALUE)",
    )


def _reset_runtime() -> None:
    """Forget the previous run's root stack and pending RPCs."""
    settings.ROOT.set(None)
    rpc_manager = getattr(settings.SETTINGS, "rpc_manager", None)
    if rpc_manager is not None:
        rpc_manager.clear()


def walk_tree(plan: Plan) -> Iterator[tuple[int, PlannedResource]]:
    """Resources depth-first from the stack's direct children, with their depth."""
    urns = {resource.urn for resource in plan.resources}
    roots = [resource for resource in plan.resources if resource.parent not in urns]

    def visit(resource: PlannedResource, depth: int) -> Iterator[tuple[int, PlannedResource]]:
        yield depth, resource
        for child in sorted(plan.children(resource.urn), key=_tree_order):
            yield from visit(child, depth + 1)

    for resource in sorted(roots, key=_tree_order):
        yield from visit(resource, 0)


def _tree_order(resource: PlannedResource) -> tuple[bool, str, str]:
    # Components first, then resources by name: a stable order for people and diffs.
    return (resource.custom, resource.name, resource.type)
