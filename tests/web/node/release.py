"""WordPress as its release tarball, from Debian's `wordpress` package: the files under
/usr/share/wordpress (symlinks to Debian's shared copies of bundled libraries followed) as
`wordpress/...`, without Debian's own wp-config.php and .htaccess, which the release lacks."""

from __future__ import annotations

import hashlib
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

DEBIAN_WORDPRESS = Path("/usr/share/wordpress")
NOT_IN_THE_RELEASE = {"wp-config.php", ".htaccess"}


@dataclass(frozen=True)
class Release:
    version: str
    archive: Path
    sha1: str


def debian_version(root: Path = DEBIAN_WORDPRESS) -> str:
    text = (root / "wp-includes" / "version.php").read_text()
    match = re.search(r"^\$wp_version = '([^']+)';", text, flags=re.MULTILINE)
    assert match, "no $wp_version in Debian's wordpress package"
    return match.group(1)


def repack(directory: Path, root: Path = DEBIAN_WORDPRESS) -> Release:
    """`wordpress-<version>.tar.gz` in `directory`, and its sha1 (what wordpress.org publishes)."""
    version = debian_version(root)
    archive = directory / f"wordpress-{version}.tar.gz"
    excluded = [f"--exclude={root.name}/{name}" for name in sorted(NOT_IN_THE_RELEASE)]
    subprocess.run(
        [
            "tar",
            "--dereference",
            "--use-compress-program=gzip -1",
            *excluded,
            "-C",
            str(root.parent),
            "-cf",
            str(archive),
            root.name,
        ],  # fmt: skip
        check=True,
    )
    sha1 = hashlib.sha1(archive.read_bytes()).hexdigest()
    return Release(version, archive, sha1)
