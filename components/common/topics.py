"""SNS topics, always encrypted, and their subscriptions (email, SMS, SQS)."""

from __future__ import annotations

from typing import Literal

import pulumi
import pulumi_aws as aws

from components.common.owner import Owner

# The AWS-managed key of SNS: admits the account's own publishers, not AWS services.
# https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html
SNS_MANAGED_KEY_ALIAS = "alias/aws/sns"
Protocol = Literal["email", "sms", "sqs"]


def encrypted_topic(
    resource_name: str,
    owner: Owner,
    *,
    display_name: str,
    key_id: pulumi.Input[str] = SNS_MANAGED_KEY_ALIAS,
) -> aws.sns.Topic:
    """A topic encrypted with `key_id` (the AWS-managed key of SNS unless a key is given)."""
    return aws.sns.Topic(
        resource_name,
        display_name=display_name,
        kms_master_key_id=key_id,
        tags=owner.tags_for(resource_name),
        opts=owner.opts,
    )


def subscription(
    resource_name: str,
    topic: aws.sns.Topic,
    protocol: Protocol,
    endpoint: pulumi.Input[str],
    *,
    parent: pulumi.Resource,
    raw_message_delivery: bool | None = None,
) -> aws.sns.TopicSubscription:
    """Deliver `topic`'s messages to `endpoint` (an address, a phone number, a queue's ARN)."""
    return aws.sns.TopicSubscription(
        resource_name,
        topic=topic.arn,
        protocol=protocol,
        endpoint=endpoint,
        raw_message_delivery=raw_message_delivery,
        opts=pulumi.ResourceOptions(parent=parent),
    )
