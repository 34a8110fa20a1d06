"""The `Network` component: the custom VPC of the notes, built the way the best VPC modules do.

One public and one private subnet per availability zone; an internet gateway for the public
route table; NAT gateways (none, one shared, or one per AZ) for the private route tables;
network ACLs per tier; security groups per tier that only admit what the tier needs; the VPC's
default security group stripped of every rule; flow logs to CloudWatch; an S3 gateway endpoint.
"""

from __future__ import annotations

from typing import Annotated

import pulumi
import pulumi_aws as aws

from components.common.outputs import Export, NotRegistered, register_declared_outputs
from components.common.shared import NFS_PORT
from components.network.args import (
    ALL_PROTOCOLS,
    ANYWHERE_IPV4,
    EPHEMERAL_PORTS,
    HTTP_PORT,
    HTTPS_PORT,
    SSH_PORT,
    TCP,
    NetworkArgs,
)
from components.network.flow_logs import vpc_flow_log


def availability_zone_names(count: int) -> list[str]:
    """The first `count` standard AZs of the provider's region (no Local or Wavelength Zones)."""
    zones = aws.get_availability_zones(
        state="available",
        filters=[{"name": "opt-in-status", "values": ["opt-in-not-required"]}],
    )
    if len(zones.names) < count:
        raise ValueError(
            f"availability_zone_count: {count} but the region has only {len(zones.names)} "
            f"available zones: {', '.join(zones.names)}"
        )
    return list(zones.names[:count])


class Network(pulumi.ComponentResource):
    """VPC, subnets, gateways, routes, ACLs, security groups, flow logs and the S3 endpoint."""

    vpc_id: Annotated[pulumi.Output[str], Export("vpcId")]
    availability_zones: Annotated[list[str], Export("availabilityZones")]
    public_subnet_ids: Annotated[list[pulumi.Output[str]], Export("publicSubnetIds")]
    private_subnet_ids: Annotated[list[pulumi.Output[str]], Export("privateSubnetIds")]
    private_route_table_ids: list[pulumi.Output[str]]
    nat_gateway_ids: list[pulumi.Output[str]]
    # The stack exports how many NAT gateways there are, not their ids.
    nat_gateway_count: NotRegistered[Annotated[int, Export("natGatewayCount")]]
    app_security_group_id: pulumi.Output[str]
    database_security_group_id: pulumi.Output[str]
    file_system_security_group_id: pulumi.Output[str]
    bastion_security_group_id: pulumi.Output[str] | None
    load_balancer_security_group_id: pulumi.Output[str]
    flow_log_group_name: Annotated[pulumi.Output[str], Export("flowLogGroupName")]
    s3_endpoint_id: pulumi.Output[str]

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("platform:network:Network", name, None, opts)
        self._name = name
        self._args = args
        self._child = pulumi.ResourceOptions(parent=self)
        self._region = aws.get_region().region

        self.vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=args.vpc_cidr,
            enable_dns_support=True,
            enable_dns_hostnames=True,
            tags=self._tags(f"{name}-vpc"),
            opts=self._child,
        )
        self.vpc_id = self.vpc.id
        self.availability_zones = list(args.availability_zones) or availability_zone_names(
            args.availability_zone_count
        )
        self._public_subnet_cidrs, self._private_subnet_cidrs = args.subnet_layout()
        self._build_subnets()
        self._build_routing()
        self._build_network_acls()
        self._build_security_groups()
        self._build_flow_logs()
        self._build_s3_endpoint()

        register_declared_outputs(self)

    def _tags(self, name: str) -> dict[str, str]:
        return {**self._args.tags, "Name": name}

    def _build_subnets(self) -> None:
        args, name = self._args, self._name
        self.public_subnets = [
            aws.ec2.Subnet(
                f"{name}-public-{index + 1}",
                vpc_id=self.vpc.id,
                cidr_block=cidr,
                availability_zone=zone,
                map_public_ip_on_launch=args.map_public_ip_on_launch,
                tags={**self._tags(f"{name}-public-{zone}"), "Tier": "public"},
                opts=self._child,
            )
            for index, (zone, cidr) in enumerate(
                zip(self.availability_zones, self._public_subnet_cidrs, strict=True)
            )
        ]
        self.private_subnets = [
            aws.ec2.Subnet(
                f"{name}-private-{index + 1}",
                vpc_id=self.vpc.id,
                cidr_block=cidr,
                availability_zone=zone,
                map_public_ip_on_launch=False,
                tags={**self._tags(f"{name}-private-{zone}"), "Tier": "private"},
                opts=self._child,
            )
            for index, (zone, cidr) in enumerate(
                zip(self.availability_zones, self._private_subnet_cidrs, strict=True)
            )
        ]
        self.public_subnet_ids = [subnet.id for subnet in self.public_subnets]
        self.private_subnet_ids = [subnet.id for subnet in self.private_subnets]

    def _build_routing(self) -> None:
        name = self._name
        self.internet_gateway = aws.ec2.InternetGateway(
            f"{name}-igw", vpc_id=self.vpc.id, tags=self._tags(f"{name}-igw"), opts=self._child
        )
        self.public_route_table = aws.ec2.RouteTable(
            f"{name}-public-rt",
            vpc_id=self.vpc.id,
            tags=self._tags(f"{name}-public"),
            opts=self._child,
        )
        aws.ec2.Route(
            f"{name}-public-default",
            route_table_id=self.public_route_table.id,
            destination_cidr_block=ANYWHERE_IPV4,
            gateway_id=self.internet_gateway.id,
            opts=self._child,
        )
        for index, subnet in enumerate(self.public_subnets):
            aws.ec2.RouteTableAssociation(
                f"{name}-public-{index + 1}",
                subnet_id=subnet.id,
                route_table_id=self.public_route_table.id,
                opts=self._child,
            )
        self.nat_gateways = self._build_nat_gateways()
        self.nat_gateway_ids = [gateway.id for gateway in self.nat_gateways]
        self.nat_gateway_count = len(self.nat_gateway_ids)
        self.private_route_tables = [
            self._build_private_route_table(index) for index in range(len(self.private_subnets))
        ]
        self.private_route_table_ids = [table.id for table in self.private_route_tables]

    def _build_nat_gateways(self) -> list[aws.ec2.NatGateway]:
        strategy = self._args.nat_strategy
        count = {"none": 0, "single": 1, "per-az": len(self.public_subnets)}[strategy]
        gateways = []
        for index in range(count):
            nat_name = f"{self._name}-nat-{index + 1}"
            address = aws.ec2.Eip(
                nat_name, domain="vpc", tags=self._tags(nat_name), opts=self._child
            )
            gateways.append(
                aws.ec2.NatGateway(
                    nat_name,
                    allocation_id=address.id,
                    subnet_id=self.public_subnets[index].id,
                    connectivity_type="public",
                    tags=self._tags(nat_name),
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[self.internet_gateway]),
                )
            )
        return gateways

    def _build_private_route_table(self, index: int) -> aws.ec2.RouteTable:
        name = f"{self._name}-private-{index + 1}"
        table = aws.ec2.RouteTable(
            f"{name}-rt", vpc_id=self.vpc.id, tags=self._tags(name), opts=self._child
        )
        if self.nat_gateways:
            # With one shared gateway every AZ uses it; otherwise each AZ uses its own.
            gateway = self.nat_gateways[min(index, len(self.nat_gateways) - 1)]
            aws.ec2.Route(
                f"{name}-default",
                route_table_id=table.id,
                destination_cidr_block=ANYWHERE_IPV4,
                nat_gateway_id=gateway.id,
                opts=self._child,
            )
        aws.ec2.RouteTableAssociation(
            name,
            subnet_id=self.private_subnets[index].id,
            route_table_id=table.id,
            opts=self._child,
        )
        return table

    def _build_network_acls(self) -> None:
        args, name = self._args, self._name
        vpc_cidr = args.vpc_cidr
        public_in = [
            _acl_rule(100, ALL_PROTOCOLS, vpc_cidr, 0, 0),
            _acl_rule(110, TCP, ANYWHERE_IPV4, HTTP_PORT, HTTP_PORT),
            _acl_rule(120, TCP, ANYWHERE_IPV4, HTTPS_PORT, HTTPS_PORT),
            _acl_rule(140, TCP, ANYWHERE_IPV4, *EPHEMERAL_PORTS),
        ]
        if args.admin_cidr is not None:
            public_in.append(_acl_rule(130, TCP, args.admin_cidr, SSH_PORT, SSH_PORT))
        public_out = [
            _acl_rule(100, ALL_PROTOCOLS, vpc_cidr, 0, 0),
            _acl_rule(110, TCP, ANYWHERE_IPV4, HTTP_PORT, HTTP_PORT),
            _acl_rule(120, TCP, ANYWHERE_IPV4, HTTPS_PORT, HTTPS_PORT),
            _acl_rule(140, TCP, ANYWHERE_IPV4, *EPHEMERAL_PORTS),
        ]
        # Private subnets talk to the VPC freely; from the internet only replies come back in,
        # and only web traffic (through the NAT gateway or the S3 endpoint) goes out.
        private_in = [
            _acl_rule(100, ALL_PROTOCOLS, vpc_cidr, 0, 0),
            _acl_rule(140, TCP, ANYWHERE_IPV4, *EPHEMERAL_PORTS),
        ]
        private_out = [
            _acl_rule(100, ALL_PROTOCOLS, vpc_cidr, 0, 0),
            _acl_rule(110, TCP, ANYWHERE_IPV4, HTTP_PORT, HTTP_PORT),
            _acl_rule(120, TCP, ANYWHERE_IPV4, HTTPS_PORT, HTTPS_PORT),
        ]
        self.public_network_acl = aws.ec2.NetworkAcl(
            f"{name}-public-acl",
            vpc_id=self.vpc.id,
            subnet_ids=self.public_subnet_ids,
            ingress=sorted(public_in, key=lambda rule: int(rule["rule_no"])),  # type: ignore[arg-type]
            egress=public_out,
            tags=self._tags(f"{name}-public"),
            opts=self._child,
        )
        self.private_network_acl = aws.ec2.NetworkAcl(
            f"{name}-private-acl",
            vpc_id=self.vpc.id,
            subnet_ids=self.private_subnet_ids,
            ingress=private_in,
            egress=private_out,
            tags=self._tags(f"{name}-private"),
            opts=self._child,
        )

    def _build_security_groups(self) -> None:
        args, name = self._args, self._name
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg",
            vpc_id=self.vpc.id,
            tags=self._tags(f"{name}-default-unused"),
            opts=self._child,
        )
        load_balancer = self._security_group(
            "load-balancer", "Load balancer tier: web from anywhere, HTTP to the app tier"
        )
        app = self._security_group("app", "Application tier: HTTP only from the load balancer")
        database = self._security_group("database", "Database tier: MySQL only from the app tier")
        file_system = self._security_group(
            "file-system", "File system tier: NFS only from the app tier"
        )
        # No ingress from the internet: the edge admits CloudFront's origin-facing prefix list
        # on the one port CloudFront uses (components/cdn.py).
        self._egress(load_balancer, "load-balancer-to-app", HTTP_PORT, destination=app)
        self._ingress(app, "app-http-from-load-balancer", HTTP_PORT, source=load_balancer)
        self._egress(app, "app-http-out", HTTP_PORT, cidr=ANYWHERE_IPV4)
        self._egress(app, "app-https-out", HTTPS_PORT, cidr=ANYWHERE_IPV4)
        self._egress(app, "app-to-database", args.database_port, destination=database)
        self._egress(app, "app-to-file-system", NFS_PORT, destination=file_system)
        self._ingress(database, "database-from-app", args.database_port, source=app)
        self._ingress(file_system, "file-system-from-app", NFS_PORT, source=app)
        self.app_security_group_id = app.id
        self.load_balancer_security_group_id = load_balancer.id
        self.database_security_group_id = database.id
        self.file_system_security_group_id = file_system.id
        self.bastion_security_group_id = None
        if args.enable_bastion and args.admin_cidr is not None:
            bastion = self._security_group("bastion", "Bastion: SSH only from the admin range")
            self._ingress(bastion, "bastion-ssh", SSH_PORT, cidr=args.admin_cidr)
            self._egress(bastion, "bastion-to-app", SSH_PORT, destination=app)
            self._ingress(app, "app-ssh-from-bastion", SSH_PORT, source=bastion)
            self.bastion_security_group_id = bastion.id

    def _security_group(self, tier: str, description: str) -> aws.ec2.SecurityGroup:
        group_name = f"{self._name}-{tier}"
        return aws.ec2.SecurityGroup(
            f"{group_name}-sg",
            vpc_id=self.vpc.id,
            description=description,
            tags={**self._tags(group_name), "Tier": tier},
            opts=self._child,
        )

    def _ingress(
        self,
        target: aws.ec2.SecurityGroup,
        role: str,
        port: int,
        *,
        cidr: str | None = None,
        source: aws.ec2.SecurityGroup | None = None,
    ) -> None:
        self._rule(aws.vpc.SecurityGroupIngressRule, target, role, port, cidr, source)

    def _egress(
        self,
        target: aws.ec2.SecurityGroup,
        role: str,
        port: int,
        *,
        cidr: str | None = None,
        destination: aws.ec2.SecurityGroup | None = None,
    ) -> None:
        self._rule(aws.vpc.SecurityGroupEgressRule, target, role, port, cidr, destination)

    def _rule(
        self,
        rule_type: type[aws.vpc.SecurityGroupIngressRule] | type[aws.vpc.SecurityGroupEgressRule],
        target: aws.ec2.SecurityGroup,
        role: str,
        port: int,
        cidr: str | None,
        peer: aws.ec2.SecurityGroup | None,
    ) -> None:
        """One TCP port of `target`, to or from a CIDR block or another tier's group."""
        rule_type(
            f"{self._name}-{role}",
            security_group_id=target.id,
            ip_protocol=TCP,
            from_port=port,
            to_port=port,
            cidr_ipv4=cidr,
            referenced_security_group_id=peer.id if peer is not None else None,
            description=role.replace("-", " "),
            opts=self._child,
        )

    def _build_flow_logs(self) -> None:
        log_group = vpc_flow_log(
            self._name,
            self.vpc.id,
            region=self._region,
            retention_days=self._args.flow_log_retention_days,
            traffic_type=self._args.flow_log_traffic_type,
            tags=self._args.tags,
            parent=self,
        )
        self.flow_log_group_name = log_group.name

    def _build_s3_endpoint(self) -> None:
        self.s3_endpoint = aws.ec2.VpcEndpoint(
            f"{self._name}-s3-endpoint",
            vpc_id=self.vpc.id,
            service_name=f"com.amazonaws.{self._region}.s3",
            vpc_endpoint_type="Gateway",
            route_table_ids=self.private_route_table_ids,
            tags=self._tags(f"{self._name}-s3"),
            opts=self._child,
        )
        self.s3_endpoint_id = self.s3_endpoint.id


def _acl_rule(
    number: int, protocol: str, cidr: str, from_port: int, to_port: int
) -> aws.ec2.NetworkAclIngressArgsDict:
    # Ingress and egress entries have the same shape; one typed dict serves both lists.
    return {
        "rule_no": number,
        "action": "allow",
        "protocol": protocol,
        "cidr_block": cidr,
        "from_port": from_port,
        "to_port": to_port,
    }
