"""Every requirements set has a hashed lock, in step with the `.in` file it is compiled from.

A lock is `X.txt` beside `X.in`, written by `make lock` (uv pip compile --generate-hashes). A
forgotten re-lock after editing an `.in` file fails here, naming the command. The checks read the
files only (no index is asked), and each is shown to notice a broken copy.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tools.offline import PROJECT_ROOT

RELOCK = "run `make lock`"
INCLUDE = re.compile(r"^(-r|--requirement)\s*=?\s*(\S+)")
CONSTRAINT = re.compile(r"^(-c|--constraint)\s*=?\s*(\S+)")
PINNED = re.compile(r"^([A-Za-z0-9._-]+)(\[[^\]]*\])?==([^\s;\\]+)")


def lock_sources(root: Path = PROJECT_ROOT) -> list[Path]:
    """The `.in` files of the program, the policy pack, the dev tools and each function."""
    return [
        root / "requirements.in",
        root / "policies" / "requirements.in",
        root / "requirements-dev.in",
        root / "requirements-browser.in",
        root / "requirements-node.in",
        *sorted(root.glob("functions/*/requirements.in")),
    ]


def requirement_lines(path: Path) -> list[str]:
    lines = (line.split(" #")[0].strip() for line in path.read_text().splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def direct_requirements(source: Path) -> list[Requirement]:
    """The requirements an `.in` file names itself or through `-r` (constraints left out)."""
    found = []
    for line in requirement_lines(source):
        if include := INCLUDE.match(line):
            found += direct_requirements(source.parent / include.group(2))
        elif not CONSTRAINT.match(line):
            found.append(Requirement(line))
    return found


@dataclass
class Locked:
    version: str
    hashes: list[str] = field(default_factory=list)
    via: list[str] = field(default_factory=list)


def read_lock(path: Path) -> dict[str, Locked]:
    locked: dict[str, Locked] = {}
    current: Locked | None = None
    in_via = False
    for line in path.read_text().splitlines():
        stripped = line.strip()
        if match := PINNED.match(line):
            current = locked[canonicalize_name(match.group(1))] = Locked(match.group(3))
            in_via = False
        elif current is not None and stripped.startswith("--hash="):
            current.hashes.append(stripped.removeprefix("--hash=").rstrip(" \\"))
        elif current is not None and stripped.startswith("# via"):
            rest = stripped.removeprefix("# via").strip()
            current.via += [rest] if rest else []
            in_via = not rest
        elif current is not None and in_via and stripped.startswith("#   "):
            current.via.append(stripped.removeprefix("#").strip())
    return locked


def lock_problems(source: Path) -> list[str]:
    lock = source.with_suffix(".txt")
    if not lock.is_file():
        return [f"{source} has no lock {lock.name}; {RELOCK}"]
    locked = read_lock(lock)
    problems = [f"{lock.name} is empty; {RELOCK}"] if not locked else []
    for requirement in direct_requirements(source):
        key = canonicalize_name(requirement.name)
        if key not in locked:
            problems.append(f"{requirement.name} of {source.name} is not in {lock.name}; {RELOCK}")
        elif not requirement.specifier.contains(locked[key].version, prereleases=True):
            problems.append(
                f"{requirement} of {source.name} but {lock.name} has {locked[key].version}; "
                f"{RELOCK}"
            )
    wanted = {canonicalize_name(requirement.name) for requirement in direct_requirements(source)}
    for key, entry in locked.items():
        if not entry.hashes:
            problems.append(f"{key}=={entry.version} in {lock.name} has no hash; {RELOCK}")
        direct = [via for via in entry.via if via.startswith("-r ")]
        if direct and direct == entry.via and key not in wanted:
            problems.append(f"{key} in {lock.name} is no longer asked for; {RELOCK}")
    return problems


@pytest.mark.parametrize(
    "source", lock_sources(), ids=lambda path: str(path.relative_to(PROJECT_ROOT))
)
def test_each_lock_is_hashed_and_in_step_with_its_source(source):
    assert lock_problems(source) == []


def test_every_function_with_requirements_has_a_lock_source():
    for requirements in PROJECT_ROOT.glob("functions/*/requirements.txt"):
        source = requirements.with_suffix(".in")
        assert source in lock_sources() or not requirement_lines(requirements), (
            f"{requirements.parent.name}: add requirements.in and {RELOCK}"
        )


def test_the_locks_agree_on_every_version_they_share():
    dev = read_lock(PROJECT_ROOT / "requirements-dev.txt")
    for lock in (PROJECT_ROOT / "requirements.txt", PROJECT_ROOT / "policies/requirements.txt"):
        for key, entry in read_lock(lock).items():
            assert key in dev and dev[key].version == entry.version, f"{lock.name}: {key}; {RELOCK}"


def test_installs_check_the_hashes():
    # `make install` runs tools/install_venv.py (progress lines), which runs pip on the lock.
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    assert "tools/install_venv.py $(VENV) requirements-dev.txt" in makefile
    installer = (PROJECT_ROOT / "tools" / "install_venv.py").read_text()
    assert '"--require-hashes",' in installer


# --- the checks notice a lock out of step ------------------------------------------------------


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    for source in lock_sources():
        relative = source.relative_to(PROJECT_ROOT)
        for path in (relative, relative.with_suffix(".txt")):
            (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(PROJECT_ROOT / path, tmp_path / path)
    return tmp_path


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def change_a_pin(root: Path) -> None:
    edit(root / "requirements.in", "chalice==1.34.0", "chalice==1.33.0")


def add_a_package(root: Path) -> None:
    edit(root / "requirements-dev.in", "uv==", "tomli-w==1.2.0\nuv==")


def drop_the_hashes(root: Path) -> None:
    lock = root / "policies" / "requirements.txt"
    lock.write_text(re.sub(r"\n\s*--hash=sha256:\w+", "", lock.read_text()))


def remove_a_package(root: Path) -> None:
    edit(root / "functions" / "uptime_monitor" / "requirements.in", "apig-wsgi==2.20.0\n", "")


@pytest.mark.parametrize(
    ("breakage", "expected"),
    [
        (change_a_pin, "chalice==1.33.0 of requirements.in but requirements.txt has 1.34.0"),
        (add_a_package, "tomli-w of requirements-dev.in is not in requirements-dev.txt"),
        (drop_the_hashes, "pulumi-policy==1.21.0 in requirements.txt has no hash"),
        (remove_a_package, "apig-wsgi in requirements.txt is no longer asked for"),
    ],
    ids=lambda value: value.__name__ if callable(value) else "",
)
def test_a_lock_out_of_step_is_named_with_the_command(copy, breakage, expected):
    sources = lock_sources(copy)
    assert [problem for source in sources for problem in lock_problems(source)] == []
    breakage(copy)
    problems = [problem for source in sources for problem in lock_problems(source)]
    assert f"{expected}; {RELOCK}" in problems, problems


def test_the_update_bot_watches_every_lock_the_cli_version_and_the_actions():
    config = json.loads((PROJECT_ROOT / "renovate.json").read_text())
    patterns = [re.compile(p.strip("/")) for p in config["pip-compile"]["managerFilePatterns"]]
    for source in lock_sources():
        lock = source.with_suffix(".txt").relative_to(PROJECT_ROOT).as_posix()
        assert any(pattern.search(lock) for pattern in patterns), lock
    custom = [p.strip("/") for m in config["customManagers"] for p in m["managerFilePatterns"]]
    assert any(re.search(pattern, ".pulumi-version") for pattern in custom)
    assert config.get("github-actions", {}).get("enabled", True) is True
