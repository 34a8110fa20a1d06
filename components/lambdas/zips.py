"""Deterministic Lambda archives: the same inputs give the same bytes, so `source_code_hash`
changes only when the code does, and an unchanged archive is not written again."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import stat
import tempfile
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeAlias

ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)
ZIP_FILE_MODE = 0o644
ZIP_COMPRESSION_LEVEL = 6
# Change these when the archive or vendoring layout changes, so older outputs are rebuilt.
_ZIP_LAYOUT_VERSION = f"lambda-zip-1;deflate-{ZIP_COMPRESSION_LEVEL}"
ArchiveSource: TypeAlias = Path | bytes


@dataclass(frozen=True)
class Archive:
    """A built Lambda archive."""

    path: Path
    sha256_hex: str
    # Lambda's `source_code_hash`: the base64 of the archive's SHA-256.
    sha256_base64: str
    zipped_size: int
    unzipped_size: int
    names: tuple[str, ...]


def write_deterministic_zip(entries: Mapping[str, ArchiveSource], zip_path: Path | str) -> Archive:
    """Write `entries` (archive name -> file or bytes) as a reproducible zip at `zip_path`.

    An existing zip built from the same contents is left as it is.
    """
    zip_path = Path(zip_path)
    contents = {_checked_archive_name(name): _read(entries[name]) for name in sorted(entries)}
    inputs_digest = _inputs_digest(contents)
    zip_digest = _reusable_zip_digest(zip_path, inputs_digest)
    if zip_digest is None:
        zip_bytes = _zip_bytes(contents)
        zip_digest = hashlib.sha256(zip_bytes).hexdigest()
        _write_atomically(zip_path, zip_bytes)
        stamp = {"inputs_sha256": inputs_digest, "zip_sha256": zip_digest}
        _write_atomically(_stamp_path(zip_path), json.dumps(stamp).encode("utf-8"))
    return Archive(
        path=zip_path,
        sha256_hex=zip_digest,
        sha256_base64=base64.b64encode(bytes.fromhex(zip_digest)).decode("ascii"),
        zipped_size=zip_path.stat().st_size,
        unzipped_size=sum(len(data) for data in contents.values()),
        names=tuple(contents),
    )


def _checked_archive_name(name: str) -> str:
    parts = name.split("/")
    if "\\" in name or any(part in ("", ".", "..") for part in parts):
        raise ValueError(
            f"archive name {name!r} is not a relative POSIX file path: use '/' between "
            "non-empty parts, without a leading '/', '.' or '..'"
        )
    return name


def _read(source: ArchiveSource) -> bytes:
    return source if isinstance(source, bytes) else Path(source).read_bytes()


def _inputs_digest(contents: Mapping[str, bytes]) -> str:
    digest = hashlib.sha256(_ZIP_LAYOUT_VERSION.encode("utf-8"))
    for name, data in contents.items():
        digest.update(name.encode("utf-8") + b"\0" + hashlib.sha256(data).digest())
    return digest.hexdigest()


def _stamp_path(zip_path: Path) -> Path:
    return zip_path.with_name(zip_path.name + ".inputs.json")


def _reusable_zip_digest(zip_path: Path, inputs_digest: str) -> str | None:
    """The SHA-256 of the zip at `zip_path` if it was built from these inputs and not altered."""
    try:
        stamp = json.loads(_stamp_path(zip_path).read_text(encoding="utf-8"))
        zip_digest = hashlib.sha256(zip_path.read_bytes()).hexdigest()
    except (OSError, ValueError):
        return None
    if stamp.get("inputs_sha256") != inputs_digest or stamp.get("zip_sha256") != zip_digest:
        return None
    return zip_digest


def _zip_bytes(contents: Mapping[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zipped:
        for name, data in contents.items():
            entry = zipfile.ZipInfo(name, date_time=ZIP_DATE_TIME)
            entry.create_system = 3  # Unix, so external_attr holds the file mode
            entry.external_attr = (stat.S_IFREG | ZIP_FILE_MODE) << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            zipped.writestr(entry, data, compresslevel=ZIP_COMPRESSION_LEVEL)
    return buffer.getvalue()


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
        os.chmod(temporary, ZIP_FILE_MODE)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
