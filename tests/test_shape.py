"""The shape DESIGN.md asks for: a thin program, arrows one way (settings -> components ->
resources), and modules small enough to read."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tools.offline import PROJECT_ROOT

COMPONENTS = PROJECT_ROOT / "components"
# The modules that define a ComponentResource family; the others are shared helpers.
COMPONENT_MODULES = {
    "network",
    "database",
    "file_system",
    "storage",
    "chalice_api",
    "uptime_monitor",
    "fanout",
    "stream",
    "upload_pipeline",
    "encryption_key",
    "web_tier",
    # The edge family: edge.py composes its parts cdn.py, waf.py and dns.py (none imports
    # another component family).
    "edge",
}
MAX_MAIN_LINES = 60
MAX_MODULE_LINES = 510  # "about 500"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
        elif isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
    return modules


def component_package_modules() -> list[Path]:
    return sorted(path for path in COMPONENTS.glob("*.py") if path.stem != "__init__")


def test_the_program_is_thin():
    lines = (PROJECT_ROOT / "__main__.py").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= MAX_MAIN_LINES


@pytest.mark.parametrize("path", component_package_modules(), ids=lambda path: path.name)
def test_no_component_module_reads_settings_or_another_component(path):
    imports = imported_modules(path)
    assert not any(module.startswith("components.settings") for module in imports)
    assert not any(module.startswith("components.wiring") for module in imports)
    others = {f"components.{name}" for name in COMPONENT_MODULES - {path.stem}}
    assert not imports & others, f"{path.name} imports {sorted(imports & others)}"


@pytest.mark.parametrize(
    "path",
    sorted(
        [
            *COMPONENTS.glob("*.py"),
            *COMPONENTS.glob("settings/*.py"),
            *COMPONENTS.glob("wiring/*.py"),
        ]
    ),
    ids=lambda path: str(path.relative_to(COMPONENTS)),
)
def test_every_module_is_small_enough_to_read(path):
    assert len(path.read_text(encoding="utf-8").splitlines()) <= MAX_MODULE_LINES
