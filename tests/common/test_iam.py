"""Every role of the platform is built by `service_role`: one service may assume it, and it is
tagged like every other child (`Name` = its resource name)."""

from __future__ import annotations

import json

import pytest

ROLE = "aws:iam/role:Role"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_role_trusts_one_service_and_is_tagged_with_its_name(stack_plan, stack):
    roles = [r for r in stack_plan(stack).resources if r.type == ROLE]
    # Five functions, Firehose, flow logs, the web nodes.
    assert len(roles) >= 8
    for role in roles:
        assert role.inputs["tags"]["Name"] == role.name
        (statement,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
        assert statement["Action"] == "sts:AssumeRole"
        assert statement["Effect"] == "Allow"
        assert list(statement["Principal"]) == ["Service"], role.name
