"""`WebTier`: the notes' WordPress site, highly available behind an Application Load Balancer.

An internet-facing ALB in the public subnets (its own security group, invalid headers dropped,
defensive desync mitigation, access logs to the log bucket) forwards to a target group whose
health check asks for `/healthy.html`. A launch template (Amazon Linux 2023 resolved at launch
from AWS's public SSM parameter, IMDSv2 only, no public IP, no key pair, encrypted gp3 root)
feeds an Auto Scaling group in the private subnets of every AZ, with ELB health checks, instance
refresh and target tracking. Nodes are all alike: wp-content is on EFS, and each node reads the
database secret and the shared salts with its role at boot (templates/wordpress_user_data.sh).
"""

from __future__ import annotations

import base64
import json
from typing import Annotated

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from components.common.iam import service_role
from components.common.outputs import Export, register_declared_outputs
from components.common.owner import Owner
from components.web.alarms import web_alarms
from components.web.args import WebTierArgs
from components.web.listeners import HTTP_PORT, origin_listener
from components.web.parts import (
    AL2023_AMI_PARAMETERS,
    SALT_KEYS,
    SALT_LENGTH,
    SALT_SPECIALS,
    node_policy_document,
    render_user_data,
    salts_document,
)

SSM_CORE_POLICY = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
EC2_SERVICE = "ec2.amazonaws.com"


class WebTier(pulumi.ComponentResource):
    """ALB -> target group -> Auto Scaling group of identical WordPress nodes."""

    load_balancer_arn: pulumi.Output[str]
    load_balancer_dns_name: Annotated[pulumi.Output[str], Export("loadBalancerDnsName")]
    site_url: Annotated[pulumi.Output[str], Export("loadBalancerUrl")]
    target_group_arn: pulumi.Output[str]
    auto_scaling_group_name: Annotated[pulumi.Output[str], Export("webAutoScalingGroupName")]
    launch_template_id: pulumi.Output[str]
    instance_role_name: pulumi.Output[str]
    salts_secret_arn: pulumi.Output[str]

    def __init__(self, name: str, args: WebTierArgs, opts: pulumi.ResourceOptions | None = None):
        args.validate()
        super().__init__("platform:web_tier:WebTier", name, None, opts)
        self._name = name
        self._args = args
        self._child = pulumi.ResourceOptions(parent=self)
        self._tags = {**args.tags, "Name": name}

        self._build_node_identity()
        self._build_load_balancer()
        # 403 unless the edge's rule finds its secret header (components/web_listeners.py).
        listener = origin_listener(name, self.load_balancer, args.certificate_arn, self._tags, self)
        self._build_nodes()
        web_alarms(
            name,
            load_balancer_suffix=self.load_balancer.arn_suffix,
            target_group_suffix=self.target_group.arn_suffix,
            topic_arn=args.alarm_topic_arn,
            tags=self._tags,
            parent=self,
        )

        scheme = "https" if args.https else "http"
        self.load_balancer_arn = self.load_balancer.arn
        self.load_balancer_dns_name = self.load_balancer.dns_name
        self.site_url = pulumi.Output.concat(scheme, "://", self.load_balancer.dns_name, "/")
        self.target_group_arn = self.target_group.arn
        self.origin_listener_arn = listener.arn
        self.https = args.https  # CloudFront reaches the origin listener over HTTPS
        self.auto_scaling_group_name = self.group.name
        self.launch_template_id = self.launch_template.id
        self.instance_role_name = self.role.name
        register_declared_outputs(self)

    def _build_node_identity(self) -> None:
        """The nodes' role (SSM, the two secrets, EFS, the media bucket) and the shared salts."""
        name, args = self._name, self._args
        salts = random.RandomPassword(
            f"{name}-salts-random",
            length=SALT_LENGTH * len(SALT_KEYS),
            special=True,
            override_special=SALT_SPECIALS,
            opts=self._child,
        )
        salts_secret = aws.secretsmanager.Secret(
            f"{name}-salts",
            description=f"{name}: WordPress authentication keys and salts, shared by every node",
            recovery_window_in_days=7,
            tags=self._tags,
            opts=self._child,
        )
        aws.secretsmanager.SecretVersion(
            f"{name}-salts-value",
            secret_id=salts_secret.id,
            secret_string=salts.result.apply(lambda value: json.dumps(salts_document(value))),
            opts=self._child,
        )
        self.salts_secret_arn = salts_secret.arn
        self.role = service_role(
            f"{name}-node-role",
            Owner(self, args.tags),
            EC2_SERVICE,
            description=f"{name}: WordPress nodes",
        )
        aws.iam.RolePolicyAttachment(
            f"{name}-node-ssm",
            role=self.role.name,
            policy_arn=SSM_CORE_POLICY,
            opts=self._child,
        )
        aws.iam.RolePolicy(
            f"{name}-node-policy",
            role=self.role.id,
            policy=pulumi.Output.all(
                db_secret_arn=args.db_secret_arn,
                salts_secret_arn=salts_secret.arn,
                file_system_arn=args.file_system_arn,
                access_point_arn=args.access_point_arn,
            ).apply(lambda arns: json.dumps(node_policy_document(**arns))),
            opts=self._child,
        )
        for grant in args.instance_role_grants:
            grant(self.role)
        self.instance_profile = aws.iam.InstanceProfile(
            f"{name}-node-profile", role=self.role.name, tags=self._tags, opts=self._child
        )

    def _build_load_balancer(self) -> None:
        name, args = self._name, self._args
        self.load_balancer = aws.lb.LoadBalancer(
            f"{name}-alb",
            load_balancer_type="application",
            internal=False,
            subnets=list(args.public_subnet_ids),
            security_groups=list(args.load_balancer_security_group_ids),
            drop_invalid_header_fields=True,
            desync_mitigation_mode="defensive",
            enable_deletion_protection=args.deletion_protection,
            access_logs=args.access_logs,
            tags=self._tags,
            opts=self._child,
        )
        self.target_group = aws.lb.TargetGroup(
            f"{name}-targets",
            vpc_id=args.vpc_id,
            port=HTTP_PORT,
            protocol="HTTP",
            target_type="instance",
            deregistration_delay=args.deregistration_delay_seconds,
            health_check=aws.lb.TargetGroupHealthCheckArgs(
                enabled=True,
                protocol="HTTP",
                path=args.health_check_path,
                port="traffic-port",
                interval=args.health_check_interval_seconds,
                timeout=5,
                healthy_threshold=args.healthy_threshold,
                unhealthy_threshold=args.unhealthy_threshold,
                matcher=args.health_check_matcher,
            ),
            stickiness=aws.lb.TargetGroupStickinessArgs(
                type="lb_cookie", enabled=args.stickiness, cookie_duration=3600
            ),
            tags=self._tags,
            opts=self._child,
        )

    def _user_data(self) -> pulumi.Output[str]:
        args = self._args
        region = aws.get_region().region
        values = pulumi.Output.all(
            file_system_id=args.file_system_id,
            access_point_id=args.access_point_id,
            db_secret_arn=args.db_secret_arn,
            db_host=args.db_host,
            db_port=args.db_port,
            db_name=args.db_name,
            salts_secret_arn=self.salts_secret_arn,
        )
        return values.apply(
            lambda wired: base64.b64encode(
                render_user_data(args.user_data_values(wired, region)).encode()
            ).decode()
        )

    def _build_nodes(self) -> None:
        name, args = self._name, self._args
        node_tags = {**self._tags, "Name": f"{name}-node"}
        self.launch_template = aws.ec2.LaunchTemplate(
            f"{name}-node",
            description=f"{name}: WordPress node (Amazon Linux 2023, {args.architecture})",
            # Resolved by EC2 at each launch: always the current Amazon Linux 2023 image.
            image_id=f"resolve:ssm:{AL2023_AMI_PARAMETERS[args.architecture]}",
            instance_type=args.instance_type,
            iam_instance_profile=aws.ec2.LaunchTemplateIamInstanceProfileArgs(
                arn=self.instance_profile.arn
            ),
            network_interfaces=[
                aws.ec2.LaunchTemplateNetworkInterfaceArgs(
                    device_index=0,
                    associate_public_ip_address="false",
                    security_groups=list(args.app_security_group_ids),
                    delete_on_termination="true",
                )
            ],
            metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                http_endpoint="enabled",
                http_tokens="required",
                http_put_response_hop_limit=1,
            ),
            block_device_mappings=[
                aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                    device_name="/dev/xvda",
                    ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                        volume_size=args.root_volume_gb,
                        volume_type="gp3",
                        encrypted="true",
                        delete_on_termination="true",
                    ),
                )
            ],
            monitoring=aws.ec2.LaunchTemplateMonitoringArgs(enabled=args.detailed_monitoring),
            user_data=self._user_data(),
            update_default_version=True,
            tag_specifications=[
                aws.ec2.LaunchTemplateTagSpecificationArgs(resource_type=kind, tags=node_tags)
                for kind in ("instance", "volume")
            ],
            tags=self._tags,
            opts=self._child,
        )
        self.group = aws.autoscaling.Group(
            f"{name}-nodes",
            vpc_zone_identifiers=list(args.private_subnet_ids),
            min_size=args.min_size,
            max_size=args.max_size,
            desired_capacity=args.desired_capacity,
            health_check_type="ELB",
            health_check_grace_period=args.grace_period_seconds,
            default_instance_warmup=args.grace_period_seconds,
            target_group_arns=[self.target_group.arn],
            launch_template=aws.autoscaling.GroupLaunchTemplateArgs(
                id=self.launch_template.id,
                version=self.launch_template.latest_version.apply(str),
            ),
            # A new launch template version replaces the nodes a few at a time.
            instance_refresh=aws.autoscaling.GroupInstanceRefreshArgs(
                strategy="Rolling",
                preferences=aws.autoscaling.GroupInstanceRefreshPreferencesArgs(
                    min_healthy_percentage=50, instance_warmup=str(args.grace_period_seconds)
                ),
            ),
            enabled_metrics=[
                aws.autoscaling.Metric.GROUP_IN_SERVICE_INSTANCES,
                aws.autoscaling.Metric.GROUP_DESIRED_CAPACITY,
            ],
            tags=[
                aws.autoscaling.GroupTagArgs(key=key, value=value, propagate_at_launch=False)
                for key, value in self._tags.items()
            ],
            opts=self._child,
        )
        aws.autoscaling.Policy(
            f"{name}-requests-per-target",
            autoscaling_group_name=self.group.name,
            policy_type="TargetTrackingScaling",
            target_tracking_configuration=aws.autoscaling.PolicyTargetTrackingConfigurationArgs(
                predefined_metric_specification=aws.autoscaling.PolicyTargetTrackingConfigurationPredefinedMetricSpecificationArgs(
                    predefined_metric_type="ALBRequestCountPerTarget",
                    resource_label=pulumi.Output.concat(
                        self.load_balancer.arn_suffix, "/", self.target_group.arn_suffix
                    ),
                ),
                target_value=args.requests_per_target,
            ),
            opts=self._child,
        )
