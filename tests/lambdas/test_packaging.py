"""Deterministic Lambda archives: the md5 API's Chalice archive and vendored dependencies."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path
from typing import Any

import pulumi_aws as aws
import pytest

from components.lambdas import packaging

PROJECT_DIR = Path(__file__).resolve().parents[2]
MD5_APP_DIR = PROJECT_DIR / "functions" / "md5_api"
EVENTS_DIR = Path(__file__).parents[1] / "api" / "events"
# A tiny pure-Python distribution from PyPI, so vendoring tests download a few kilobytes; locked
# with its wheel's hash, as `make lock` writes a function's requirements.txt.
SIX_WHEEL_SHA256 = "8abb2f1d86890a2dfb989f9a77cfcfd3e47c2a354b01111771326f8aa26e0254"
TINY_REQUIREMENT = f"six==1.16.0 --hash=sha256:{SIX_WHEEL_SHA256}\n"

MD5_ARCHIVE_NAMES = {
    "app.py",
    "chalicelib/__init__.py",
    "chalicelib/hashing.py",
    "chalice/__init__.py",
    "chalice/app.py",
}

# Runs inside an interpreter started with -I -S: no site-packages, no PYTHON* variables,
# so only the standard library and the extracted archive can be imported.
ISOLATED_INVOKE = textwrap.dedent(
    """
    import json, sys, sysconfig
    archive_dir, event_file = sys.argv[1], sys.argv[2]
    sys.path.insert(0, archive_dir)
    import app
    with open(event_file, encoding="utf-8") as f:
        response = app.app(json.load(f), None)
    stdlib_dirs = {sysconfig.get_paths()[key] for key in ("stdlib", "platstdlib")}
    outside = sorted(
        name for name, module in sys.modules.items()
        if getattr(module, "__file__", None)
        and not module.__file__.startswith(archive_dir)
        and not any(module.__file__.startswith(d) for d in stdlib_dirs)
    )
    print(json.dumps({
        "response": response,
        "chalice_file": sys.modules["chalice"].__file__,
        "modules_outside_archive_and_stdlib": outside,
    }))
    """
)


def run_isolated(code: str, *args: str) -> dict[str, Any]:
    completed = subprocess.run(
        [sys.executable, "-I", "-S", "-c", code, *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)


def extract(archive: packaging.Archive, target: Path) -> Path:
    with zipfile.ZipFile(archive.path) as zipped:
        zipped.extractall(target)
    return target


@pytest.fixture(scope="session")
def wheel_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One wheel cache for the session, so PyPI is asked once per requirements file."""
    return tmp_path_factory.mktemp("wheels")


@pytest.fixture(scope="session")
def tiny_requirements(tmp_path_factory: pytest.TempPathFactory) -> Path:
    requirements = tmp_path_factory.mktemp("requirements") / "requirements.txt"
    requirements.write_text("# pinned, pure Python\n" + TINY_REQUIREMENT)
    return requirements


@pytest.fixture(scope="session")
def vendored_tiny(tiny_requirements: Path, wheel_cache: Path) -> Path:
    return packaging.vendor_requirements(tiny_requirements, cache_dir=wheel_cache)


# --- constants --------------------------------------------------------------------------------


def test_runtime_constant_is_python_3_13_and_a_pulumi_aws_runtime() -> None:
    assert packaging.LAMBDA_PYTHON_VERSION == "3.13"
    assert packaging.LAMBDA_PYTHON_RUNTIME == "python3.13"
    assert aws.lambda_.Runtime(packaging.LAMBDA_PYTHON_RUNTIME) is aws.lambda_.Runtime.PYTHON3D13


def test_architecture_constants_are_lambdas_names_with_pip_platforms() -> None:
    assert packaging.LAMBDA_ARCHITECTURES == ("x86_64", "arm64")
    assert packaging.PIP_PLATFORMS["x86_64"][0] == "manylinux2014_x86_64"
    assert packaging.PIP_PLATFORMS["arm64"][0] == "manylinux2014_aarch64"


def test_build_outputs_go_under_the_projects_build_dir() -> None:
    assert packaging.BUILD_DIR == PROJECT_DIR / ".build"
    assert packaging.WHEEL_CACHE_DIR == PROJECT_DIR / ".build" / "wheels"


# --- write_deterministic_zip ------------------------------------------------------------------


def test_zip_entries_are_sorted_dated_1980_with_mode_0644_and_no_directories(
    tmp_path: Path,
) -> None:
    source = tmp_path / "source.py"
    source.write_text("print('hi')\n")
    source.chmod(0o755)

    archive = packaging.write_deterministic_zip(
        {"pkg/b.py": b"b = 1\n", "a.py": source, "pkg/sub/c.txt": b"c"}, tmp_path / "out.zip"
    )

    with zipfile.ZipFile(archive.path) as zipped:
        infos = zipped.infolist()
        assert [info.filename for info in infos] == ["a.py", "pkg/b.py", "pkg/sub/c.txt"]
        assert {info.date_time for info in infos} == {(1980, 1, 1, 0, 0, 0)}
        assert {info.external_attr >> 16 for info in infos} == {0o100644}
        assert {info.compress_type for info in infos} == {zipfile.ZIP_DEFLATED}
        assert zipped.read("a.py") == b"print('hi')\n"


def test_zip_reports_its_hashes_and_sizes(tmp_path: Path) -> None:
    archive = packaging.write_deterministic_zip(
        {"a.txt": b"x" * 1000, "b.txt": b"yz"}, tmp_path / "out.zip"
    )

    zip_bytes = archive.path.read_bytes()
    digest = hashlib.sha256(zip_bytes).digest()
    assert archive.sha256_hex == digest.hex()
    assert archive.sha256_base64 == base64.b64encode(digest).decode("ascii")
    assert archive.zipped_size == len(zip_bytes)
    assert archive.unzipped_size == 1002
    assert archive.names == ("a.txt", "b.txt")


def test_same_inputs_give_identical_bytes_whatever_the_order_mtime_and_mode(
    tmp_path: Path,
) -> None:
    first_source = tmp_path / "one" / "handler.py"
    second_source = tmp_path / "two" / "handler.py"
    for source, mode, mtime in ((first_source, 0o600, 1_000_000), (second_source, 0o755, 2e9)):
        source.parent.mkdir()
        source.write_text("def handler(event, context):\n    return event\n")
        source.chmod(mode)
        os.utime(source, (mtime, mtime))

    first = packaging.write_deterministic_zip(
        {"handler.py": first_source, "lib/x.py": b"x = 1\n"}, tmp_path / "first.zip"
    )
    second = packaging.write_deterministic_zip(
        {"lib/x.py": b"x = 1\n", "handler.py": second_source}, tmp_path / "second.zip"
    )

    assert first.path.read_bytes() == second.path.read_bytes()
    assert first.sha256_base64 == second.sha256_base64


@pytest.mark.parametrize(
    "bad_name", ["", "/etc/passwd", "../escape.py", "a/../b.py", "a\\b.py", "dir/", "a//b.py"]
)
def test_zip_refuses_names_that_are_not_plain_relative_paths(tmp_path: Path, bad_name: str) -> None:
    with pytest.raises(ValueError, match="archive name") as raised:
        packaging.write_deterministic_zip({bad_name: b"x"}, tmp_path / "out.zip")

    assert repr(bad_name) in str(raised.value)


def test_unchanged_inputs_reuse_the_existing_zip(tmp_path: Path) -> None:
    zip_path = tmp_path / "out.zip"
    first = packaging.write_deterministic_zip({"a.py": b"a = 1\n"}, zip_path)
    first_stat = zip_path.stat()

    again = packaging.write_deterministic_zip({"a.py": b"a = 1\n"}, zip_path)

    assert again == first
    assert zip_path.stat().st_mtime_ns == first_stat.st_mtime_ns
    assert zip_path.stat().st_ino == first_stat.st_ino


def test_changed_inputs_rewrite_the_zip(tmp_path: Path) -> None:
    zip_path = tmp_path / "out.zip"
    first = packaging.write_deterministic_zip({"a.py": b"a = 1\n"}, zip_path)

    changed = packaging.write_deterministic_zip({"a.py": b"a = 2\n"}, zip_path)

    assert changed.sha256_hex != first.sha256_hex
    with zipfile.ZipFile(zip_path) as zipped:
        assert zipped.read("a.py") == b"a = 2\n"


def test_a_zip_altered_after_building_is_rebuilt(tmp_path: Path) -> None:
    zip_path = tmp_path / "out.zip"
    first = packaging.write_deterministic_zip({"a.py": b"a = 1\n"}, zip_path)
    zip_path.write_bytes(b"not a zip")

    rebuilt = packaging.write_deterministic_zip({"a.py": b"a = 1\n"}, zip_path)

    assert rebuilt == first
    assert zip_path.read_bytes()[:2] == b"PK"


# --- build_chalice_archive: the md5 API -------------------------------------------------------


def test_md5_archive_holds_the_app_chalicelib_and_only_the_chalice_runtime(
    tmp_path: Path,
) -> None:
    archive = packaging.build_chalice_archive(MD5_APP_DIR, tmp_path)

    assert set(archive.names) == MD5_ARCHIVE_NAMES
    with zipfile.ZipFile(archive.path) as zipped:
        assert set(zipped.namelist()) == MD5_ARCHIVE_NAMES
    assert archive.path == tmp_path / "md5_api.zip"


def test_md5_archive_ships_the_installed_chalice_runtime_unchanged(tmp_path: Path) -> None:
    import chalice
    import chalice.app

    archive = packaging.build_chalice_archive(MD5_APP_DIR, tmp_path)

    with zipfile.ZipFile(archive.path) as zipped:
        assert zipped.read("chalice/__init__.py") == Path(chalice.__file__).read_bytes()
        assert zipped.read("chalice/app.py") == Path(chalice.app.__file__).read_bytes()
        assert zipped.read("app.py") == (MD5_APP_DIR / "app.py").read_bytes()


def test_md5_archive_reports_its_zipped_size(tmp_path: Path) -> None:
    archive = packaging.build_chalice_archive(MD5_APP_DIR, tmp_path)

    assert archive.zipped_size == archive.path.stat().st_size
    # The Chalice runtime is about 80 KiB of source; the CLI and its dependencies are megabytes.
    assert 0 < archive.zipped_size < 64 * 1024
    assert archive.unzipped_size > archive.zipped_size
    print(f"md5 API archive: {archive.zipped_size} bytes zipped, {archive.unzipped_size} unzipped")


def test_two_md5_builds_are_byte_identical(tmp_path: Path) -> None:
    first = packaging.build_chalice_archive(MD5_APP_DIR, tmp_path / "first")
    second = packaging.build_chalice_archive(MD5_APP_DIR, tmp_path / "second")

    assert first.path.read_bytes() == second.path.read_bytes()
    assert first.sha256_base64 == second.sha256_base64


def test_chalice_archive_leaves_out_caches_tests_and_hidden_files(tmp_path: Path) -> None:
    app_dir = tmp_path / "md5_api"
    shutil.copytree(MD5_APP_DIR, app_dir, ignore=shutil.ignore_patterns("__pycache__"))
    clean = packaging.build_chalice_archive(app_dir, tmp_path / "clean")
    for litter in (
        "chalicelib/__pycache__/hashing.cpython-311.pyc",
        "chalicelib/stale.pyc",
        "chalicelib/tests/test_hashing.py",
        "chalicelib/test_hashing.py",
        "tests/test_app.py",
        ".chalice/config.json",
        "chalicelib/.DS_Store",
        "notes.md",
    ):
        (app_dir / litter).parent.mkdir(parents=True, exist_ok=True)
        (app_dir / litter).write_text("litter\n")

    littered = packaging.build_chalice_archive(app_dir, tmp_path / "littered")

    assert set(littered.names) == MD5_ARCHIVE_NAMES
    assert littered.path.read_bytes() == clean.path.read_bytes()


def test_chalice_archive_needs_an_app_py(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="app.py"):
        packaging.build_chalice_archive(tmp_path, tmp_path / "out")


def test_md5_archive_imports_and_answers_in_an_isolated_interpreter(tmp_path: Path) -> None:
    archive = packaging.build_chalice_archive(MD5_APP_DIR, tmp_path / "build")
    archive_dir = extract(archive, tmp_path / "extracted")

    result = run_isolated(
        ISOLATED_INVOKE, str(archive_dir), str(EVENTS_DIR / "rest_api_get_md5.json")
    )

    assert result["response"]["statusCode"] == 200
    expected = hashlib.md5(b"PracticalAWS").hexdigest()
    assert json.loads(result["response"]["body"]) == {"response": expected}
    assert result["chalice_file"] == str(archive_dir / "chalice" / "__init__.py")
    assert result["modules_outside_archive_and_stdlib"] == []


# --- vendor_requirements ----------------------------------------------------------------------


def fake_pip_install(calls: list[list[str]]):
    """A stand-in for `pip install --target`: records the command and installs litter too."""

    def run(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        calls.append(list(command))
        target = Path(command[command.index("--target") + 1])
        (target / "fakepkg" / "__pycache__").mkdir(parents=True)
        (target / "fakepkg" / "__init__.py").write_text("VALUE = 1\n")
        (target / "fakepkg" / "__pycache__" / "__init__.cpython-311.pyc").write_bytes(b"\0")
        (target / "fakepkg" / "stray.pyc").write_bytes(b"\0")
        dist_info = target / "fakepkg-1.0.dist-info"
        dist_info.mkdir()
        for name in ("METADATA", "WHEEL", "top_level.txt", "RECORD", "INSTALLER", "REQUESTED"):
            (dist_info / name).write_text(f"{name}\n")
        (dist_info / "direct_url.json").write_text('{"url": "file:///home/someone/x"}')
        (target / "bin").mkdir()
        (target / "bin" / "fakepkg").write_text("#!/home/someone/.venv/bin/python\n")
        return subprocess.CompletedProcess(command, 0, "", "")

    return run


def test_vendoring_runs_pip_for_the_lambda_platform_without_bytecode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("fakepkg==1.0\n")
    calls: list[list[str]] = []
    monkeypatch.setattr(subprocess, "run", fake_pip_install(calls))

    packaging.vendor_requirements(
        requirements,
        python_version="3.13",
        platform=("manylinux2014_aarch64", "manylinux_2_28_aarch64"),
        cache_dir=tmp_path / "cache",
    )

    [command] = calls
    assert command[:4] == [sys.executable, "-m", "pip", "install"]
    assert "--only-binary=:all:" in command
    assert "--require-hashes" in command
    assert "--no-compile" in command
    assert command[command.index("--python-version") + 1] == "3.13"
    assert command[command.index("--implementation") + 1] == "cp"
    assert [command[i + 1] for i, arg in enumerate(command) if arg == "--platform"] == [
        "manylinux2014_aarch64",
        "manylinux_2_28_aarch64",
    ]
    assert command[command.index("-r") + 1] == str(requirements)


def test_vendored_tree_keeps_code_and_minimal_metadata_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("fakepkg==1.0\n")
    monkeypatch.setattr(subprocess, "run", fake_pip_install([]))

    vendored = packaging.vendor_requirements(requirements, cache_dir=tmp_path / "cache")

    files = sorted(p.relative_to(vendored).as_posix() for p in vendored.rglob("*") if p.is_file())
    assert files == [
        "fakepkg-1.0.dist-info/METADATA",
        "fakepkg-1.0.dist-info/WHEEL",
        "fakepkg-1.0.dist-info/top_level.txt",
        "fakepkg/__init__.py",
    ]


def test_vendoring_is_cached_by_requirements_platform_and_python_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("fakepkg==1.0\n")
    calls: list[list[str]] = []
    monkeypatch.setattr(subprocess, "run", fake_pip_install(calls))
    cache = tmp_path / "cache"

    first = packaging.vendor_requirements(requirements, cache_dir=cache)
    again = packaging.vendor_requirements(requirements, cache_dir=cache)
    other_python = packaging.vendor_requirements(
        requirements, python_version="3.12", cache_dir=cache
    )
    other_platform = packaging.vendor_requirements(
        requirements, platform="manylinux2014_aarch64", cache_dir=cache
    )
    requirements.write_text("fakepkg==1.0\n# changed\n")
    other_requirements = packaging.vendor_requirements(requirements, cache_dir=cache)

    assert again == first
    assert len({first, other_python, other_platform, other_requirements}) == 4
    assert len(calls) == 4


def test_pip_failure_names_the_requirements_file_and_shows_pips_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("no-such-package==0.0\n")

    def failing_pip(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(command, 1, "", "ERROR: No matching distribution")

    monkeypatch.setattr(subprocess, "run", failing_pip)

    with pytest.raises(RuntimeError, match="No matching distribution") as raised:
        packaging.vendor_requirements(requirements, cache_dir=tmp_path / "cache")

    assert str(requirements) in str(raised.value)
    assert not any((tmp_path / "cache").iterdir())


@pytest.mark.parametrize(
    "line", ["-r other.txt", "-rother.txt", "--requirement=other.txt", "-c constraints.txt"]
)
def test_requirements_that_include_other_files_are_refused(tmp_path: Path, line: str) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(f"six==1.16.0\n{line}\n")

    with pytest.raises(ValueError, match="other.txt|constraints.txt") as raised:
        packaging.vendor_requirements(requirements, cache_dir=tmp_path / "cache")

    assert str(requirements) in str(raised.value)


def test_vendoring_a_real_package_from_pypi(vendored_tiny: Path) -> None:
    files = sorted(p.relative_to(vendored_tiny).as_posix() for p in vendored_tiny.rglob("*"))

    assert "six.py" in files
    assert "six-1.16.0.dist-info/METADATA" in files
    assert not [f for f in files if f.endswith(("RECORD", "INSTALLER", "REQUESTED", ".pyc"))]
    assert not [f for f in files if "__pycache__" in f or f.startswith("bin")]


@pytest.mark.parametrize(
    ("lock", "pip_says"),
    [
        (f"six==1.16.0 --hash=sha256:{'0' * 64}\n", "THESE PACKAGES DO NOT MATCH THE HASHES"),
        ("six==1.16.0\n", "Hashes are required in --require-hashes mode"),
    ],
    ids=["wrong-hash", "no-hash"],
)
def test_vendoring_installs_only_what_the_lock_hashes(
    tmp_path: Path, wheel_cache: Path, lock: str, pip_says: str
) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(lock)

    with pytest.raises(RuntimeError, match=pip_says):
        packaging.vendor_requirements(requirements, cache_dir=wheel_cache)


def test_vendoring_again_does_not_run_pip(
    vendored_tiny: Path,
    tiny_requirements: Path,
    wheel_cache: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_pip(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        raise AssertionError(f"pip ran again: {command}")

    monkeypatch.setattr(subprocess, "run", no_pip)

    assert packaging.vendor_requirements(tiny_requirements, cache_dir=wheel_cache) == vendored_tiny


# --- build_function_archive -------------------------------------------------------------------


def write_function(source_dir: Path, handler: str) -> Path:
    source_dir.mkdir(parents=True)
    (source_dir / "handler.py").write_text(handler)
    (source_dir / "requirements.txt").write_text(TINY_REQUIREMENT)
    (source_dir / "__pycache__").mkdir()
    (source_dir / "__pycache__" / "handler.cpython-311.pyc").write_bytes(b"\0")
    return source_dir


HANDLER_USING_SIX = "import six\n\ndef handler(event, context):\n    return six.__version__\n"


def test_function_archive_holds_the_source_and_its_vendored_requirements(
    tmp_path: Path, tiny_requirements: Path, wheel_cache: Path
) -> None:
    source_dir = write_function(tmp_path / "fn", HANDLER_USING_SIX)

    archive = packaging.build_function_archive(
        source_dir, tmp_path / "out", requirements=tiny_requirements, wheel_cache_dir=wheel_cache
    )

    assert archive.path == tmp_path / "out" / "fn-python3.13-x86_64.zip"
    assert "handler.py" in archive.names
    assert "six.py" in archive.names
    assert "six-1.16.0.dist-info/METADATA" in archive.names
    assert "requirements.txt" not in archive.names
    assert not [n for n in archive.names if "__pycache__" in n or n.endswith(".pyc")]


def test_function_archive_without_requirements_holds_only_the_source(tmp_path: Path) -> None:
    source_dir = write_function(tmp_path / "fn", "def handler(event, context):\n    return 1\n")

    archive = packaging.build_function_archive(source_dir, tmp_path / "out")

    assert archive.names == ("handler.py",)
    assert archive.path == tmp_path / "out" / "fn.zip"


def test_two_function_builds_with_requirements_are_byte_identical(
    tmp_path: Path, tiny_requirements: Path, wheel_cache: Path
) -> None:
    source_dir = write_function(tmp_path / "fn", HANDLER_USING_SIX)

    first, second = (
        packaging.build_function_archive(
            source_dir, tmp_path / out, requirements=tiny_requirements, wheel_cache_dir=wheel_cache
        )
        for out in ("first", "second")
    )

    assert first.path.read_bytes() == second.path.read_bytes()


def test_function_archive_imports_its_dependency_in_an_isolated_interpreter(
    tmp_path: Path, tiny_requirements: Path, wheel_cache: Path
) -> None:
    source_dir = write_function(tmp_path / "fn", HANDLER_USING_SIX)
    archive = packaging.build_function_archive(
        source_dir, tmp_path / "out", requirements=tiny_requirements, wheel_cache_dir=wheel_cache
    )
    archive_dir = extract(archive, tmp_path / "extracted")

    result = run_isolated(
        "import json, sys; sys.path.insert(0, sys.argv[1]); import handler, six; "
        "print(json.dumps([handler.handler({}, None), six.__file__]))",
        str(archive_dir),
    )

    assert result == ["1.16.0", str(archive_dir / "six.py")]


def test_source_file_that_clashes_with_a_vendored_file_is_refused(
    tmp_path: Path, tiny_requirements: Path, wheel_cache: Path
) -> None:
    source_dir = write_function(tmp_path / "fn", HANDLER_USING_SIX)
    (source_dir / "six.py").write_text("# shadows the vendored six\n")

    with pytest.raises(ValueError, match="six.py"):
        packaging.build_function_archive(
            source_dir,
            tmp_path / "out",
            requirements=tiny_requirements,
            wheel_cache_dir=wheel_cache,
        )


def test_unknown_architecture_is_refused_by_name(tmp_path: Path) -> None:
    source_dir = write_function(tmp_path / "fn", "x = 1\n")

    with pytest.raises(ValueError, match="'amd64'"):
        packaging.build_function_archive(source_dir, tmp_path / "out", architecture="amd64")


def test_chalice_app_with_requirements_vendors_them_beside_the_runtime(
    tmp_path: Path, tiny_requirements: Path, wheel_cache: Path
) -> None:
    app_dir = tmp_path / "six_api"
    app_dir.mkdir()
    (app_dir / "app.py").write_text(
        "import six\nfrom chalice import Chalice\n\napp = Chalice(app_name='six-api')\n"
    )
    shutil.copy(tiny_requirements, app_dir / "requirements.txt")

    archive = packaging.build_chalice_archive(
        app_dir, tmp_path / "out", wheel_cache_dir=wheel_cache
    )

    assert {"app.py", "chalice/__init__.py", "chalice/app.py", "six.py"} <= set(archive.names)
    assert archive.path == tmp_path / "out" / "six_api-python3.13-x86_64.zip"
