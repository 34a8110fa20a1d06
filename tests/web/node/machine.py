"""A web node on this machine: its own mount namespace over this Debian system, where the boot
script runs as root with its real paths.

/etc, /usr and /var are copy-on-write overlays of this machine's (what the script writes stays
with the node and vanishes with it), /run is a fresh tmpfs as after a boot. The node gets what
an EC2 instance of the stack has that Debian lacks: a `mount.efs` (bin/mount.efs, enforcing the
access point's user), an `aws` command (the AWS CLI from PyPI, requirements-node.txt), and,
because systemd is not PID 1 here, a `systemctl` that runs units from their unit files
(bin/systemctl). All nodes share the rehearsal's network namespace (127.0.0.1 only).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.web.node.services import stop_group, wait_for

BIN = Path(__file__).parent / "bin"
AWS_CLI = Path(sys.executable).parent / "aws"
NODE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
USER_DATA = "/var/lib/cloud/instance/scripts/part-001"
BOOT_LOG = "/var/log/cloud-init-output.log"
OVERLAID = ("etc", "usr", "var")
SERVICE_STATE = "run/systemctl-rehearsal"
EFS_STATE = "run/efs-rehearsal"


@dataclass(frozen=True)
class Boot:
    returncode: int
    log: str


class Node:
    """One node: `run` a command in it, `path` to read its files, `boot` its user data."""

    def __init__(self, name: str, directory: Path, environment: dict[str, str], efs: dict):
        self.name = name
        self.directory = directory
        self.environment = {"PATH": NODE_PATH, "HOME": "/root", "LANG": "C.UTF-8", **environment}
        directory.mkdir(parents=True)
        self.holder = subprocess.Popen(
            ["unshare", "--mount", "--propagation", "private", "--", "sleep", "infinity"],
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        own = os.readlink("/proc/self/ns/mnt")
        wait_for(lambda: self._namespace() not in (own, None), f"{name}'s mount namespace")
        self._mount()
        self._provision(efs)

    def _namespace(self) -> str | None:
        try:
            return os.readlink(f"/proc/{self.holder.pid}/ns/mnt")
        except OSError:
            return None

    def _mount(self) -> None:
        commands = []
        for top in OVERLAID:
            upper, work = self.directory / f"{top}-upper", self.directory / f"{top}-work"
            upper.mkdir()
            work.mkdir()
            commands.append(
                f"mount -t overlay overlay -o lowerdir=/{top},upperdir={upper},workdir={work} /{top}"
            )
        devices = self.directory / "dev"
        devices.mkdir()
        commands += [
            "mount -t tmpfs -o mode=0755 tmpfs /run",
            "mkdir -p /run/lock",
            # A /dev/fuse that users may open, as on a stock Debian or Amazon Linux.
            f"mount -t tmpfs -o mode=0755 tmpfs {devices}",
            f"mknod -m 0666 {devices}/fuse c 10 229",
            f"mount --bind {devices}/fuse /dev/fuse",
            "systemd-tmpfiles --create --prefix=/run",
        ]
        self.run(["sh", "-ec", "\n".join(commands)])

    def _provision(self, efs: dict) -> None:
        self.write("/etc/efs-rehearsal.json", json.dumps(efs, indent=2))
        fuse = self.path("/etc/fuse.conf")
        fuse.write_text(fuse.read_text() + "\nuser_allow_other\n")
        self.install(BIN / "mount.efs", "/usr/sbin/mount.efs")
        self.install(BIN / "systemctl", "/usr/local/sbin/systemctl")
        self.path("/usr/local/bin/aws").symlink_to(AWS_CLI)

    def path(self, path: str) -> Path:
        """`path` as this node sees it (through its root in its own mount namespace)."""
        return Path(f"/proc/{self.holder.pid}/root") / path.lstrip("/")

    def write(self, path: str, text: str, mode: int = 0o644) -> None:
        target = self.path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        target.chmod(mode)

    def install(self, source: Path, path: str) -> None:
        shutil.copyfile(source, self.path(path))
        self.path(path).chmod(0o755)

    def run(
        self,
        argv: list[str],
        *,
        user: str | None = None,
        check: bool = True,
        timeout: float = 120,
        environment: dict[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run `argv` in the node as root (or as `user`, with that user's groups)."""
        prefix = ["setpriv", f"--reuid={user}", f"--regid={user}", "--init-groups"] if user else []
        env = [
            "env",
            "-i",
            *(f"{k}={v}" for k, v in {**self.environment, **(environment or {})}.items()),
        ]
        result = subprocess.run(
            ["nsenter", f"--target={self.holder.pid}", "--mount", "--", *env, *prefix, *argv],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"{self.name}: {argv} failed: {result.stdout}{result.stderr}")
        return result

    def boot(self, user_data: str, environment: dict[str, str] | None = None) -> Boot:
        """Run the user data as cloud-init does (as root, from its scripts directory)."""
        self.write(USER_DATA, user_data, mode=0o700)
        result = self.run(["bash", USER_DATA], check=False, timeout=180, environment=environment)
        log = result.stdout + result.stderr
        with self.path(BOOT_LOG).open("a") as output:
            output.write(log)
        return Boot(result.returncode, log)

    def service_groups(self) -> list[int]:
        state = self.path(SERVICE_STATE)
        return [int(p.read_text()) for p in state.glob("*.pgid")] if state.exists() else []

    def stop(self) -> None:
        """Stop every service the node started, unmount wp-content, end its namespace."""
        if self.holder.poll() is not None:
            return
        for group in self.service_groups():
            stop_group(group)
        for line in Path(f"/proc/{self.holder.pid}/mounts").read_text().splitlines():
            _, target, kind = line.split()[:3]
            if kind.startswith("fuse"):
                self.run(["fusermount", "-u", "-z", target], check=False)
        efs_state = self.path(EFS_STATE)
        for pid_file in efs_state.glob("*.pid") if efs_state.exists() else ():
            stop_group(int(pid_file.read_text()))
        stop_group(self.holder.pid)
        self.holder.wait(timeout=10)
