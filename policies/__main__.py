"""The platform's policy pack: started by the Pulumi CLI (or tools/policy_gate.py), never imported.

`PolicyPack(...)` serves the analyzer gRPC interface and never returns. The rules live in the
`platform_rules` package, which tests import directly.
"""

import platform_rules.serving  # noqa: F401 - serves the analyzer protocol with lean hot paths
from platform_rules import PACK_NAME, all_policies
from pulumi_policy import EnforcementLevel, PolicyPack

PolicyPack(
    name=PACK_NAME,
    enforcement_level=EnforcementLevel.ADVISORY,
    policies=all_policies(),
    description="Security rules of the platform, judged by AWS's own semantics: private "
    "databases and networks, encrypted and private S3, least-privilege IAM, safe Lambda.",
)
