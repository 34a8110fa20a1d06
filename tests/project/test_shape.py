"""The shape DESIGN.md asks for: one package per system, imports running downhill, one way of
wiring, a thin program, tests that mirror the packages, and modules small enough to read.

Floors, from the ground up: `config` (the reader) and `common` (limits, tags, certificates,
keys); `lambdas` (the Lambda block and packaging); the systems, which may use the floors below
but never each other; `components/settings.py` (the loader of every section) and `__main__.py`
(the wiring) on top.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tools.offline import PROJECT_ROOT

COMPONENTS = PROJECT_ROOT / "components"
SYSTEMS = ("network", "data", "web", "edge", "messaging", "api", "monitor")
FOUNDATIONS = ("config", "common", "lambdas")
# What each floor may import of the project (besides itself).
ALLOWED = {
    "common": set(),
    "config": {"common"},
    "lambdas": {"common"},
    **{system: {"common", "lambdas"} for system in SYSTEMS},
}
# Only a system's settings parsers read config (through the reader).
SETTINGS_MAY_ALSO_IMPORT = {"config"}
WIRING_METHODS = {"wired", "in_network"}
MAX_MAIN_LINES = 65
MAX_MODULE_LINES = 400


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
        elif isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
    return modules


def project_packages_imported(path: Path) -> set[str]:
    """The `components` packages a module imports (`components.web.tier` -> `web`)."""
    return {
        module.split(".")[1] if module.count(".") else module
        for module in imported_modules(path)
        if module.startswith("components.") or module == "components"
    }


def package_modules(package: str) -> list[Path]:
    return sorted((COMPONENTS / package).glob("*.py"))


def is_settings_module(path: Path) -> bool:
    return path.stem == "settings" or path.stem.endswith("_settings")


def test_components_holds_only_packages_and_the_loader():
    loose = {path.name for path in COMPONENTS.glob("*.py")}
    assert loose == {"__init__.py", "settings.py"}
    packages = {path.name for path in COMPONENTS.iterdir() if (path / "__init__.py").exists()}
    assert packages == {*SYSTEMS, *FOUNDATIONS}


@pytest.mark.parametrize(
    "path",
    [path for package in (*SYSTEMS, *FOUNDATIONS) for path in package_modules(package)],
    ids=lambda path: str(path.relative_to(COMPONENTS)),
)
def test_imports_run_downhill(path):
    package = path.parent.name
    allowed = ALLOWED[package] | {package}
    if package in SYSTEMS and is_settings_module(path):
        allowed |= SETTINGS_MAY_ALSO_IMPORT
    imported = project_packages_imported(path) - allowed
    assert not imported, f"{path.relative_to(COMPONENTS)} imports components.{sorted(imported)}"


@pytest.mark.parametrize("system", SYSTEMS)
def test_each_system_exports_its_components_and_parses_its_settings(system):
    package = __import__(f"components.{system}", fromlist=["__all__"])
    exported = [getattr(package, name) for name in package.__all__]
    assert any(isinstance(item, type) and item.__name__.endswith("Args") for item in exported)
    assert any(is_settings_module(path) for path in package_modules(system))


def test_every_cross_system_connection_is_wired_in_the_program():
    """`Args.wired(...)` / `in_network(...)` take other systems by Protocol; only `__main__.py`
    calls them, so every connection between systems is visible in one file."""
    callers = []
    for path in [*COMPONENTS.rglob("*.py"), PROJECT_ROOT / "__main__.py"]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in WIRING_METHODS
            ):
                callers.append(path.relative_to(PROJECT_ROOT).as_posix())
    assert set(callers) == {"__main__.py"}
    assert len(callers) >= 6


def test_the_program_is_thin():
    lines = (PROJECT_ROOT / "__main__.py").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= MAX_MAIN_LINES


def test_tests_mirror_the_packages():
    tests = PROJECT_ROOT / "tests"
    for package in (*SYSTEMS, "lambdas"):
        assert list((tests / package).glob("test_*.py")), f"tests/{package}/ has no tests"
    assert not list(tests.glob("test_*.py")), "every test lives in its system's folder"


@pytest.mark.parametrize(
    "path",
    sorted(COMPONENTS.rglob("*.py")),
    ids=lambda path: str(path.relative_to(COMPONENTS)),
)
def test_every_module_is_small_enough_to_read(path):
    assert len(path.read_text(encoding="utf-8").splitlines()) <= MAX_MODULE_LINES
