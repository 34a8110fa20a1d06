"""Each Lambda archive the program ships imports its handler under Lambda's own Python.

The archive is built as `pulumi up` builds it, extracted to a temporary directory, and imported by
a CPython of `LAMBDA_PYTHON_VERSION` (3.13) started with -I -S: no site-packages, no PYTHON*
variables. Only the archive, the standard library and, behind them as in the Lambda runtime, the
runtime's boto3 are on sys.path; so the wheels the archive ships for the Lambda platform (compiled
ones included) are what gets imported.

The interpreter is `$LAMBDA_PYTHON`, else `python3.13` on PATH, else pyenv's 3.13; with none of
them the test fails and says how to get one.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import zipfile
from pathlib import Path

import pytest

from components.lambdas import packaging
from tools.offline import PROJECT_ROOT

pytestmark = pytest.mark.slow

LAMBDA_FUNCTION = "aws:lambda/function:Function"
VERSION = packaging.LAMBDA_PYTHON_VERSION
# What the Lambda runtime brings besides the standard library: boto3 and what it needs.
RUNTIME_PACKAGES = (
    "boto3",
    "botocore",
    "jmespath",
    "python-dateutil",
    "s3transfer",
    "six",
    "urllib3",
)

IMPORT_HANDLER = """
import json, sys, sysconfig
archive_dir, runtime_dir, module_name, function_name = sys.argv[1:5]
sys.path[:0] = [archive_dir]
sys.path.append(runtime_dir)
module = __import__(module_name, fromlist=[function_name])
stdlib = {sysconfig.get_paths()[key] for key in ("stdlib", "platstdlib")}
print(json.dumps({
    "version": "%d.%d" % sys.version_info[:2],
    "callable": callable(getattr(module, function_name)),
    "module_file": module.__file__,
    "compiled": sorted(m.__file__ for m in sys.modules.values()
        if (getattr(m, "__file__", None) or "").endswith(".so")
        and m.__file__.startswith(archive_dir)),
    "from_elsewhere": sorted(name for name, m in sys.modules.items()
        if getattr(m, "__file__", None)
        and not m.__file__.startswith((archive_dir, runtime_dir, *stdlib))),
}))
"""


def _candidates() -> list[str]:
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    return [
        os.environ.get("LAMBDA_PYTHON", ""),
        f"python{VERSION}",
        *map(str, sorted(pyenv.glob(f"versions/{VERSION}.*/bin/python{VERSION}"))),
    ]


def _version_of(interpreter: str) -> str | None:
    try:
        completed = subprocess.run(
            [interpreter, "-I", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except OSError:
        return None
    return completed.stdout.strip() if completed.returncode == 0 else None


@pytest.fixture(scope="session")
def lambda_python() -> str:
    for candidate in filter(None, _candidates()):
        if _version_of(candidate) == VERSION:
            return candidate
    pytest.fail(
        f"no Python {VERSION} (Lambda's runtime) on this machine: looked for $LAMBDA_PYTHON, "
        f"python{VERSION} on PATH and pyenv's versions/{VERSION}.*; install one "
        f"(`pyenv install {VERSION}` or the distribution's python{VERSION}) or set LAMBDA_PYTHON"
    )


@pytest.fixture(scope="session")
def lambda_runtime(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """boto3 as the Lambda runtime has it: the dev lock's versions, installed for Lambda."""
    blocks = re.split(r"(?m)^(?=[a-z0-9])", (PROJECT_ROOT / "requirements-dev.txt").read_text())
    wanted = [
        block.split("# via")[0] for block in blocks if block.split("==")[0] in RUNTIME_PACKAGES
    ]
    assert len(wanted) == len(RUNTIME_PACKAGES), "the dev lock lacks boto3 or its dependencies"
    requirements = tmp_path_factory.mktemp("runtime") / "requirements.txt"
    requirements.write_text("".join(wanted))
    return packaging.vendor_requirements(requirements, python_version=VERSION)


def test_each_archive_imports_its_handlers_under_lambdas_python(
    stack_plan, tmp_path, lambda_python, lambda_runtime
):
    handlers: dict[Path, set[str]] = {}
    for function in stack_plan("dev").of_type(LAMBDA_FUNCTION):
        handlers.setdefault(Path(function.inputs["code"].path), set()).add(
            function.inputs["handler"]
        )
    assert len(handlers) >= 2, handlers  # the md5 API and the uptime monitor
    for archive, names in sorted(handlers.items()):
        extracted = tmp_path / archive.stem
        with zipfile.ZipFile(archive) as zipped:
            zipped.extractall(extracted)
            ships_compiled = any(name.endswith(".so") for name in zipped.namelist())
        compiled: set[str] = set()
        for handler in sorted(names):
            module_name, function_name = handler.rsplit(".", 1)
            completed = subprocess.run(
                [lambda_python, "-I", "-S", "-c", IMPORT_HANDLER]
                + [str(extracted), str(lambda_runtime), module_name, function_name],
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert completed.returncode == 0, f"{archive.name} {handler}: {completed.stderr}"
            result = json.loads(completed.stdout)
            assert result["version"] == VERSION
            assert result["callable"] is True, handler
            assert result["module_file"].startswith(str(extracted)), handler
            assert result["from_elsewhere"] == [], handler
            compiled |= set(result["compiled"])
        # The compiled wheels shipped for the Lambda platform (markupsafe's) load under 3.13.
        assert bool(compiled) == ships_compiled, archive.name
