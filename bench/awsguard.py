"""AWSGuard (npm @pulumi/awsguard) as a policy pack the benchmark can start like the CLI does.

`ensure_pack()` installs AWSGuard with npm into bench/.awsguard/ (gitignored) the first time,
writes a pack there that turns every AWSGuard rule mandatory, and returns its folder; None (with
the reason printed) when Node.js or npm is missing or the install fails. `AwsGuardAnalyzer`
starts it as the CLI starts a Node.js pack: `node <@pulumi/pulumi>/cmd/run-policy-pack <engine>
<pack>` from the pack's folder.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from tools.policy_gate import NO_ENGINE_ADDRESS, PolicyAnalyzer

AWSGUARD_VERSION = "0.3.1"
CACHE_DIR = Path(__file__).resolve().parent / ".awsguard"
PACK_DIR = CACHE_DIR / "pack"
RUN_POLICY_PACK = CACHE_DIR / "node_modules" / "@pulumi" / "pulumi" / "cmd" / "run-policy-pack"
PACK_FILES = {
    "index.js": 'const { AwsGuard } = require("@pulumi/awsguard");\n'
    'new AwsGuard({ all: "mandatory" });\n',
    "package.json": json.dumps({"name": "awsguard-all-mandatory", "version": "0.0.1"}) + "\n",
    "PulumiPolicy.yaml": "runtime: nodejs\nversion: 0.0.1\n",
}


def ensure_pack() -> Path | None:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        print("AWSGuard column skipped: node or npm is not installed")
        return None
    if not RUN_POLICY_PACK.exists():
        CACHE_DIR.mkdir(exist_ok=True)
        (CACHE_DIR / "package.json").write_text('{"name": "awsguard-cache", "private": true}\n')
        print(f"installing @pulumi/awsguard@{AWSGUARD_VERSION} into {CACHE_DIR} ...")
        done = subprocess.run(  # noqa: S603 - npm from PATH, fixed arguments
            [npm, "install", "--no-audit", "--no-fund", f"@pulumi/awsguard@{AWSGUARD_VERSION}"],
            cwd=CACHE_DIR,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0 or not RUN_POLICY_PACK.exists():
            print(f"AWSGuard column skipped: npm install failed:\n{done.stderr[-2000:]}")
            return None
    PACK_DIR.mkdir(exist_ok=True)
    for name, text in PACK_FILES.items():
        (PACK_DIR / name).write_text(text)
    modules = PACK_DIR / "node_modules"
    if not modules.exists():
        modules.symlink_to(CACHE_DIR / "node_modules", target_is_directory=True)
    return PACK_DIR


class AwsGuardAnalyzer(PolicyAnalyzer):
    """The AWSGuard pack, started as the CLI starts a Node.js policy pack."""

    def command(self) -> list[str]:
        node = shutil.which("node") or "node"
        return [node, str(RUN_POLICY_PACK), NO_ENGINE_ADDRESS, "."]
