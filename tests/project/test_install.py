"""`make install` says what it is doing: a numbered step per phase and a line per package
(issue 26 item 9: the cold install printed one line, then nothing for about 2.5 minutes)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tools.offline import PROJECT_ROOT

LOCK = PROJECT_ROOT / "requirements-dev.txt"


def lock_entry(name: str) -> str:
    """One package of the dev lock with its hashes (a real, hash-checked install)."""
    match = re.search(rf"^{name}==.*?(?=^\S)", LOCK.read_text(), re.M | re.S)
    assert match, name
    return match.group(0)


# A real pip install into a new virtualenv: seconds, and the package index.
@pytest.mark.slow
def test_the_install_prints_a_step_per_phase_and_a_line_per_package(tmp_path):
    lock = tmp_path / "requirements.txt"
    lock.write_text(lock_entry("six"))
    venv = tmp_path / "venv"
    result = subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "tools" / "install_venv.py"), str(venv), str(lock)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    steps = [line.split("]")[0] + "]" for line in lines if line.startswith("[")]
    assert steps == ["[1/3]", "[2/3]", "[3/3]"], lines
    # From an index "Collecting six==1.17.0", from a local wheel "Processing .../six-1.17.0-...".
    [package] = [index for index, line in enumerate(lines) if line.startswith("      [1/1] six")]
    assert package < next(index for index, line in enumerate(lines) if line.startswith("[3/3]"))
    assert list(venv.glob("lib/python*/site-packages/six-1.17.0.dist-info"))


def test_make_install_uses_the_talking_installer():
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    recipe = makefile.split("$(STAMP): $(LOCKS)\n", 1)[1].split("\n\n", 1)[0]
    assert "tools/install_venv.py $(VENV) requirements-dev.txt" in recipe
    assert "--quiet" not in recipe
