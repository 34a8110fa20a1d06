"""Tags: every resource carries the stack's tags and `Name` = its own resource name."""

from __future__ import annotations

from collections.abc import Mapping


def named_tags(tags: Mapping[str, str], resource_name: str) -> dict[str, str]:
    return {**tags, "Name": resource_name}
