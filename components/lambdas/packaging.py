"""Deterministic Lambda archives, shared by every function of the platform.

The same inputs always give the same bytes: entries sorted by name, every entry dated
1980-01-01 with mode 0644, no directory entries, one compression level. So an archive's
SHA-256 (Lambda's `source_code_hash`) changes only when the code does, and `pulumi preview`
shows no update for a rebuild of unchanged code.

- `write_deterministic_zip` writes such a zip from archive names mapped to files or bytes, and
  leaves an up-to-date zip untouched, so building is fast when nothing changed.
- `build_chalice_archive` packages a Chalice app as `chalice package` does: `app.py`,
  `chalicelib/`, and of Chalice only the runtime the app imports (`chalice/__init__.py` and
  `chalice/app.py`), never the CLI or its dependencies.
- `vendor_requirements` installs a hashed lock for Lambda's platform into a cache keyed by its
  content; `build_function_archive` packages a function with those dependencies.

Outputs go under `<project>/.build/`, which git ignores.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from components.lambdas.zips import (
    Archive,
    ArchiveSource,
    write_deterministic_zip,
)

LAMBDA_PYTHON_VERSION = "3.13"
LAMBDA_PYTHON_RUNTIME = f"python{LAMBDA_PYTHON_VERSION}"

LAMBDA_ARCHITECTURE_X86_64 = "x86_64"
LAMBDA_ARCHITECTURE_ARM64 = "arm64"
LAMBDA_ARCHITECTURES = (LAMBDA_ARCHITECTURE_X86_64, LAMBDA_ARCHITECTURE_ARM64)
# Lambda's python3.12 and later runtimes run on Amazon Linux 2023 (glibc 2.34), which loads
# wheels of all these manylinux tags. pip matches `--platform` tags literally, so each is
# listed; the most compatible comes first and is preferred.
PIP_PLATFORMS: Mapping[str, tuple[str, ...]] = {
    LAMBDA_ARCHITECTURE_X86_64: (
        "manylinux2014_x86_64",
        "manylinux_2_17_x86_64",
        "manylinux_2_28_x86_64",
        "manylinux_2_34_x86_64",
    ),
    LAMBDA_ARCHITECTURE_ARM64: (
        "manylinux2014_aarch64",
        "manylinux_2_17_aarch64",
        "manylinux_2_28_aarch64",
        "manylinux_2_34_aarch64",
    ),
}

PROJECT_DIR = Path(__file__).resolve().parents[2]
BUILD_DIR = PROJECT_DIR / ".build"
WHEEL_CACHE_DIR = BUILD_DIR / "wheels"


_VENDOR_LAYOUT_VERSION = "vendor-1"

# What a deployed Chalice app imports of Chalice (see chalice/deploy/packager.py).
_CHALICE_RUNTIME_MODULES = ("__init__.py", "app.py")
_EXCLUDED_DIR_NAMES = frozenset({"__pycache__", "tests", "test"})
_BYTECODE_SUFFIXES = (".pyc", ".pyo")
# Files pip writes into a `--target` install that the function never reads: RECORD and
# direct_url.json hold build-machine paths, `bin/` holds scripts with its interpreter's path.
_INSTALL_ONLY_METADATA = ("RECORD", "INSTALLER", "REQUESTED", "direct_url.json")
# pip's options that read another file (`-r other.txt`, `-rother.txt`, `--requirement=...`).
_REQUIREMENT_INCLUDE_OPTIONS = ("-r", "--requirement", "-c", "--constraint")


def build_chalice_archive(
    app_dir: Path | str,
    out_dir: Path | str = BUILD_DIR,
    *,
    architecture: str = LAMBDA_ARCHITECTURE_X86_64,
    python_version: str = LAMBDA_PYTHON_VERSION,
    wheel_cache_dir: Path | str = WHEEL_CACHE_DIR,
) -> Archive:
    """Package a Chalice app into `<out_dir>/<app dir name>.zip`.

    The archive holds `app.py`, `chalicelib/` (without caches, tests or hidden files) and the
    Chalice runtime. If the app's requirements.txt lists packages, they are vendored for
    `architecture` and the archive is named `<app>-python<version>-<architecture>.zip`.
    """
    _check_architecture(architecture)
    app_dir = Path(app_dir)
    app_file = app_dir / "app.py"
    if not app_file.is_file():
        raise FileNotFoundError(f"no Chalice app: {app_file} does not exist")
    chalicelib = {
        f"chalicelib/{name}": path for name, path in _source_files(app_dir / "chalicelib").items()
    }
    entries = _merged({"app.py": app_file}, chalicelib, chalice_runtime_files())
    requirements = app_dir / "requirements.txt"
    vendored = requirements.is_file() and bool(_requirement_lines(requirements))
    if vendored:
        dependencies = _vendored_files(requirements, architecture, python_version, wheel_cache_dir)
        # Like `chalice package`: the runtime shipped above wins over a vendored Chalice.
        entries = _merged(
            entries,
            {name: path for name, path in dependencies.items() if not name.startswith("chalice/")},
        )
    zip_path = _archive_path(out_dir, app_dir.name, vendored, python_version, architecture)
    return write_deterministic_zip(entries, zip_path)


def build_function_archive(
    source_dir: Path | str,
    out_dir: Path | str = BUILD_DIR,
    *,
    requirements: Path | str | None = None,
    architecture: str = LAMBDA_ARCHITECTURE_X86_64,
    python_version: str = LAMBDA_PYTHON_VERSION,
    wheel_cache_dir: Path | str = WHEEL_CACHE_DIR,
) -> Archive:
    """Package the files of `source_dir` (without caches, tests, hidden files or its
    requirements.txt), plus the vendored `requirements` if given, at the archive's root.

    Without requirements the archive is `<out_dir>/<source dir name>.zip`; with them it is
    `<out_dir>/<name>-python<version>-<architecture>.zip`.
    """
    _check_architecture(architecture)
    source_dir = Path(source_dir)
    if not source_dir.is_dir():
        raise NotADirectoryError(f"function source {source_dir} is not a directory")
    entries: dict[str, ArchiveSource] = {
        name: path for name, path in _source_files(source_dir).items() if name != "requirements.txt"
    }
    vendored = requirements is not None
    if requirements is not None:
        dependencies = _vendored_files(requirements, architecture, python_version, wheel_cache_dir)
        entries = _merged(dependencies, entries)
    zip_path = _archive_path(out_dir, source_dir.name, vendored, python_version, architecture)
    return write_deterministic_zip(entries, zip_path)


def vendor_requirements(
    requirements_file: Path | str,
    *,
    python_version: str = LAMBDA_PYTHON_VERSION,
    platform: str | Sequence[str] = PIP_PLATFORMS[LAMBDA_ARCHITECTURE_X86_64],
    cache_dir: Path | str = WHEEL_CACHE_DIR,
) -> Path:
    """Install `requirements_file` for Lambda's platform and return the installed tree.

    `requirements_file` is a lock: every line pinned with `--hash` (`make lock` writes them from
    a `requirements.in`). pip runs with `--require-hashes --only-binary=:all:` for CPython
    `python_version` on `platform`, so it installs exactly the locked wheels, once per content of
    the file, platform and version; later calls return the cached tree.
    The tree holds no bytecode, no scripts and only the metadata that code reads at run time.
    """
    requirements_file = Path(requirements_file)
    requirements = requirements_file.read_bytes()
    _refuse_included_files(requirements_file, requirements)
    platforms = (platform,) if isinstance(platform, str) else tuple(platform)
    cache_dir = Path(cache_dir)
    target = cache_dir / _vendor_key(requirements, platforms, python_version)
    if target.is_dir():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=cache_dir))
    try:
        _pip_install(requirements_file, staging, platforms, python_version)
        _remove_install_noise(staging)
        _publish(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def chalice_runtime_files() -> dict[str, Path]:
    """The files of the installed Chalice that a deployed app imports, by archive name."""
    spec = importlib.util.find_spec("chalice")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("chalice is not installed; install the project's requirements")
    package_dir = Path(next(iter(spec.submodule_search_locations)))
    return {f"chalice/{module}": package_dir / module for module in _CHALICE_RUNTIME_MODULES}


def _source_files(root: Path) -> dict[str, Path]:
    """Files under `root` by POSIX path, without caches, bytecode, tests or hidden files."""
    return {
        name: path
        for name, path in _tree_files(root, skip_dir=_is_excluded_dir).items()
        if _is_source_file(path.name)
    }


def _is_excluded_dir(name: str) -> bool:
    return name in _EXCLUDED_DIR_NAMES or name.startswith(".")


def _is_source_file(name: str) -> bool:
    is_test_module = name.endswith(".py") and (
        name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py"
    )
    return not (name.startswith(".") or name.endswith(_BYTECODE_SUFFIXES) or is_test_module)


def _never(name: str) -> bool:
    return False


def _tree_files(root: Path, skip_dir: Callable[[str], bool] = _never) -> dict[str, Path]:
    files: dict[str, Path] = {}
    for directory, dir_names, file_names in os.walk(root):
        dir_names[:] = [name for name in dir_names if not skip_dir(name)]
        for file_name in file_names:
            path = Path(directory, file_name)
            files[path.relative_to(root).as_posix()] = path
    return files


def _merged(*parts: Mapping[str, ArchiveSource]) -> dict[str, ArchiveSource]:
    merged: dict[str, ArchiveSource] = {}
    for part in parts:
        for name, source in part.items():
            if name in merged:
                raise ValueError(
                    f"archive name {name!r} would come from both {_origin(merged[name])} "
                    f"and {_origin(source)}; rename one of them"
                )
            merged[name] = source
    return merged


def _origin(source: ArchiveSource) -> str:
    return f"{len(source)} bytes given in memory" if isinstance(source, bytes) else str(source)


def _vendored_files(
    requirements: Path | str, architecture: str, python_version: str, cache_dir: Path | str
) -> dict[str, Path]:
    vendored_dir = vendor_requirements(
        requirements,
        python_version=python_version,
        platform=PIP_PLATFORMS[architecture],
        cache_dir=cache_dir,
    )
    return _tree_files(vendored_dir)


def _check_architecture(architecture: str) -> None:
    if architecture not in LAMBDA_ARCHITECTURES:
        raise ValueError(
            f"unknown Lambda architecture {architecture!r}; use one of: "
            f"{', '.join(LAMBDA_ARCHITECTURES)}"
        )


def _archive_path(
    out_dir: Path | str, name: str, vendored: bool, python_version: str, architecture: str
) -> Path:
    if not vendored:
        return Path(out_dir) / f"{name}.zip"
    return Path(out_dir) / f"{name}-python{python_version}-{architecture}.zip"


def _requirement_lines(requirements_file: Path) -> list[str]:
    text = requirements_file.read_text(encoding="utf-8")
    lines = (line.split(" #")[0].strip() for line in text.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def _refuse_included_files(requirements_file: Path, requirements: bytes) -> None:
    # The cache is keyed by this file's content only, so it must not depend on other files.
    for line in requirements.decode("utf-8").splitlines():
        if line.strip().startswith(_REQUIREMENT_INCLUDE_OPTIONS):
            raise ValueError(
                f"{requirements_file}: {line.strip()!r} refers to another file; list its "
                "requirements in this file instead"
            )


def _vendor_key(requirements: bytes, platforms: tuple[str, ...], python_version: str) -> str:
    digest = hashlib.sha256(
        f"{_VENDOR_LAYOUT_VERSION}\0cp{python_version}\0{','.join(platforms)}\0".encode()
    )
    digest.update(requirements)
    return f"python{python_version}-{digest.hexdigest()[:32]}"


def _pip_install(
    requirements_file: Path, target: Path, platforms: tuple[str, ...], python_version: str
) -> None:
    platform_options = [option for tag in platforms for option in ("--platform", tag)]
    command = [
        sys.executable, "-m", "pip", "install",
        "--target", str(target),
        *platform_options,
        "--python-version", python_version,
        "--implementation", "cp",
        "--only-binary=:all:",
        "--require-hashes",
        "--no-compile",
        "--no-input",
        "--disable-pip-version-check",
        "--quiet",
        "-r", str(requirements_file),
    ]  # fmt: skip
    # The command is built from this module's constants and the caller's paths, never a shell.
    completed = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if completed.returncode != 0:
        raise RuntimeError(
            f"pip could not install {requirements_file} for CPython {python_version} on "
            f"{', '.join(platforms)}:\n{(completed.stderr or completed.stdout).strip()}"
        )


def _remove_install_noise(root: Path) -> None:
    shutil.rmtree(root / "bin", ignore_errors=True)
    for cache_dir in sorted(root.rglob("__pycache__"), reverse=True):
        shutil.rmtree(cache_dir, ignore_errors=True)
    for suffix in _BYTECODE_SUFFIXES:
        for bytecode in root.rglob(f"*{suffix}"):
            bytecode.unlink()
    for dist_info in root.glob("*.dist-info"):
        for name in _INSTALL_ONLY_METADATA:
            (dist_info / name).unlink(missing_ok=True)


def _publish(staging: Path, target: Path) -> None:
    try:
        staging.rename(target)
    except OSError:
        # Another build published the same requirements first; its tree is identical.
        if not target.is_dir():
            raise
