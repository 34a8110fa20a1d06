"""`make install`: create a virtualenv and install a hashed lock into it, saying what it does.

    python3 tools/install_venv.py .venv requirements-dev.txt

pip alone is silent for minutes while it installs (`Installing collected packages: ...` and then
nothing until the end), so a cold install looked stuck. This prints a numbered step for each
phase, a line per package as pip collects it (`[12/113] boto3==...`), and while pip installs, the
count of packages installed so far every few seconds. Standard
library only: it runs before the virtualenv exists.
"""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
from pathlib import Path

STEPS = 3
HEARTBEAT_SECONDS = 5.0
PINNED = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==", re.MULTILINE)
# pip's first line about each package: from an index, or a local file (find-links, a cache).
COLLECTING = re.compile(r"^(?:Collecting|Processing) (\S+)")


def say(text: str) -> None:
    print(text, flush=True)


def locked_packages(lock: Path) -> list[str]:
    """The pinned distributions of a lock (`name==version \\` lines)."""
    return PINNED.findall(lock.read_text())


def installed_count(venv: Path, before: set[str]) -> int:
    """Distributions installed into `venv` since `before` (its .dist-info directories)."""
    return len(_dist_infos(venv) - before)


def _dist_infos(venv: Path) -> set[str]:
    return {path.name for path in venv.glob("lib/python*/site-packages/*.dist-info")}


def _heartbeat(venv: Path, before: set[str], total: int, done: threading.Event) -> None:
    started = time.monotonic()
    while not done.wait(HEARTBEAT_SECONDS):
        count = installed_count(venv, before)
        say(f"      installed {count}/{total} packages ({time.monotonic() - started:.0f} s)")


def install(venv: Path, lock: Path, python: str = sys.executable) -> int:
    packages = locked_packages(lock)
    total = len(packages)
    say(f"[1/{STEPS}] Creating {venv} with {python} -m venv...")
    subprocess.run([python, "-m", "venv", str(venv)], check=True)  # noqa: S603 - fixed arguments
    before = _dist_infos(venv)  # pip (and setuptools) of the new virtualenv
    say(f"[2/{STEPS}] Downloading and checking the hashes of {total} locked packages ({lock})...")
    pip = subprocess.Popen(  # noqa: S603 - the new venv's pip, fixed arguments
        [
            str(venv / "bin" / "pip"),
            "install",
            "--disable-pip-version-check",
            "--progress-bar",
            "off",
            "--require-hashes",
            "-r",
            str(lock),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert pip.stdout is not None
    done = threading.Event()
    collected = 0
    for line in pip.stdout:
        if match := COLLECTING.match(line):
            collected += 1
            say(f"      [{collected}/{total}] {Path(match.group(1)).name}")
        elif line.startswith("Installing collected packages"):
            say(f"[3/{STEPS}] Installing {total} packages into {venv} (the longest step)...")
            threading.Thread(
                target=_heartbeat, args=(venv, before, total, done), daemon=True
            ).start()
        elif line.startswith("Ignoring "):  # a platform marker excludes it here
            total -= 1
            say(line.rstrip())
        elif line.startswith("Successfully installed"):
            say(f"Successfully installed {len(line.split()) - 2} packages.")
        elif not line.startswith(("  Downloading", "  Using cached", "Requirement already")):
            say(line.rstrip())
    code = pip.wait()
    done.set()
    return code


def main(argv: list[str] | None = None) -> int:
    venv, lock = (argv if argv is not None else sys.argv[1:])[:2]
    return install(Path(venv), Path(lock))


if __name__ == "__main__":
    sys.exit(main())
