"""The component a shared building block creates children for (log groups, alarms, topics,
queues): each child is parented to it and carries its tags, plus `Name` = the child's name."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi

from components.common.tags import named_tags


@dataclass(frozen=True)
class Owner:
    """The parent of the children a building block creates, and the tags they carry."""

    parent: pulumi.Resource
    tags: Mapping[str, str]
    # The provider of the children (None: the parent's), e.g. us-east-1 for CloudFront's.
    provider: pulumi.ProviderResource | None = None

    def tags_for(self, resource_name: str) -> dict[str, str]:
        """The owner's tags and `Name` = `resource_name`."""
        return named_tags(self.tags, resource_name)

    @property
    def opts(self) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self.parent, provider=self.provider)
