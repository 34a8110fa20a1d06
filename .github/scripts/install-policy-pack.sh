#!/usr/bin/env bash
# Installs the policy pack's Python dependencies where the Pulumi CLI will look for them.
#
# `pulumi preview --policy-pack policies` runs a local pack with the virtualenv named in
# policies/PulumiPolicy.yaml (`runtime.options.virtualenv`, relative to policies/); it does not
# install that virtualenv itself. Without the option, the pack runs on the python3 on PATH.
set -euo pipefail
cd "$(dirname "$0")/../.."

virtualenv=$(.venv/bin/python - <<'PY'
import pathlib

import yaml

path = pathlib.Path("policies/PulumiPolicy.yaml")
pack = yaml.safe_load(path.read_text()) if path.exists() else {}
runtime = (pack or {}).get("runtime")
options = runtime.get("options") or {} if isinstance(runtime, dict) else {}
print(options.get("virtualenv", ""))
PY
)

if [[ -n "$virtualenv" ]]; then
  target="policies/$virtualenv"
  [[ -x "$target/bin/python" ]] || python3 -m venv "$target"
  "$target/bin/python" -m pip install --quiet --disable-pip-version-check -r policies/requirements.txt
else
  python3 -m pip install --quiet --disable-pip-version-check -r policies/requirements.txt
fi
