"""A policy pack whose two policies (one per resource, one per stack) do nothing."""

from pulumi_policy import (
    EnforcementLevel,
    PolicyPack,
    ResourceValidationPolicy,
    StackValidationPolicy,
)

PolicyPack(
    name="empty",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=[
        ResourceValidationPolicy(
            name="nothing-per-resource",
            description="Does nothing.",
            validate=lambda args, report: None,
        ),
        StackValidationPolicy(
            name="nothing-per-stack",
            description="Does nothing.",
            validate=lambda args, report: None,
        ),
    ],
)
