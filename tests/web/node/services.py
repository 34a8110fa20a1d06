"""What a node reaches across the network, run here on 127.0.0.1: a MySQL-compatible server
configured like RDS, Secrets Manager (moto's server), and an HTTPS mirror of wordpress.org.

Each process runs in a session and process group of its own and is stopped with its group.
"""

from __future__ import annotations

import functools
import os
import shutil
import signal
import ssl
import subprocess
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import boto3
from moto.server import ThreadedMotoServer

from tests.web.node.pki import LOOPBACK, Issued

REGION = "us-east-1"
FAKE_KEYS = {"aws_access_key_id": "rehearsal", "aws_secret_access_key": "rehearsal"}


class ProcessGroup:
    """A process started as the leader of a new session, stopped with everything it started."""

    def __init__(self, argv: list[str], log: Path, **options):
        self.log = log
        with log.open("ab") as output:
            self.process = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                **options,
            )

    def stop(self) -> None:
        stop_group(self.process.pid)
        self.process.wait(timeout=10)


def group_alive(pgid: int) -> bool:
    """Whether any process of group `pgid` still runs (zombies waiting to be reaped do not)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


def stop_group(pgid: int, grace: float = 10) -> None:
    """SIGTERM the process group, then SIGKILL whatever is left of it after `grace` seconds."""
    if not group_alive(pgid):
        return
    os.killpg(pgid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while group_alive(pgid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if group_alive(pgid):
        os.killpg(pgid, signal.SIGKILL)


def wait_for(condition, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up waiting for {what}")
        time.sleep(0.05)


class Database:
    """MariaDB from Debian configured like RDS for MySQL: TLS required for every TCP client
    (require_secure_transport=ON), a server certificate from a CA of the rehearsal's own."""

    PORT = 3306

    def __init__(self, directory: Path, certificate: Issued):
        self.directory = directory
        self.data = directory / "data"
        self.socket = directory / "mysqld.sock"
        self.server_cert = directory / "server.crt"
        self.server_key = directory / "server.key"
        directory.mkdir(parents=True)
        self.data.mkdir()
        for path in (directory, self.data):
            shutil.chown(path, "mysql", "mysql")
        self._install(certificate)
        subprocess.run(
            [
                "mariadb-install-db",
                "--no-defaults",
                f"--datadir={self.data}",
                "--user=mysql",
                "--skip-test-db",
                "--auth-root-authentication-method=socket",
            ],  # fmt: skip
            check=True,
            capture_output=True,
        )
        self.server = ProcessGroup(
            [
                "mariadbd",
                "--no-defaults",
                f"--datadir={self.data}",
                "--user=mysql",
                f"--socket={self.socket}",
                f"--port={self.PORT}",
                f"--bind-address={LOOPBACK}",
                f"--pid-file={directory / 'mysqld.pid'}",
                "--skip-name-resolve",
                "--require-secure-transport=ON",
                f"--ssl-cert={self.server_cert}",
                f"--ssl-key={self.server_key}",
                "--innodb-buffer-pool-size=32M",
                "--skip-log-bin",
                "--max-connections=50",
            ],  # fmt: skip
            directory / "mysqld.log",
        )
        wait_for(self._answers, "MariaDB to accept connections")

    def _install(self, certificate: Issued) -> None:
        shutil.copyfile(certificate.certificate, self.server_cert)
        shutil.copyfile(certificate.key, self.server_key)
        for path in (self.server_cert, self.server_key):
            shutil.chown(path, "mysql", "mysql")
            path.chmod(0o600)

    def _answers(self) -> bool:
        if self.server.process.poll() is not None:
            raise RuntimeError(f"mariadbd exited: {self.server.log.read_text()[-2000:]}")
        return self.socket.exists() and self._client("SELECT 1").returncode == 0

    def _client(self, statement: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                "mariadb",
                "--no-defaults",
                f"--socket={self.socket}",
                "-uroot",
                "-N",
                "-B",
                "-e",
                statement,
            ],  # fmt: skip
            capture_output=True,
            text=True,
            check=False,
        )

    def sql(self, statement: str) -> str:
        result = self._client(statement)
        if result.returncode != 0:
            raise RuntimeError(f"{statement!r}: {result.stderr}")
        return result.stdout

    def serve_certificate(self, certificate: Issued) -> None:
        """Swap the server's certificate (the files, then FLUSH SSL), as a new CA would."""
        self._install(certificate)
        self.sql("FLUSH SSL")

    def stop(self) -> None:
        self.server.stop()


class _QuietFiles(SimpleHTTPRequestHandler):
    requested: list[str]

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        self.requested.append(self.path)


class Mirror:
    """An HTTPS file server on 127.0.0.1 with a certificate from the rehearsal's CA: the node
    downloads WordPress (and its database CA) from it exactly as from wordpress.org."""

    PORT = 8443

    def __init__(self, directory: Path, certificate: Issued):
        self.directory = directory
        self.requested: list[str] = []
        handler = type("Files", (_QuietFiles,), {"requested": self.requested})
        self.server = ThreadingHTTPServer(
            (LOOPBACK, self.PORT), functools.partial(handler, directory=str(directory))
        )
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(certificate.certificate, certificate.key)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"https://{LOOPBACK}:{self.PORT}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


class SecretsManager:
    """moto's server on 127.0.0.1: the node's `aws` command reaches it through
    AWS_ENDPOINT_URL_SECRETS_MANAGER, an environment variable only."""

    PORT = 4566

    def __init__(self):
        self.server = ThreadedMotoServer(ip_address=LOOPBACK, port=self.PORT, verbose=False)
        self.server.start()
        self.client = boto3.client(
            "secretsmanager", region_name=REGION, endpoint_url=self.url, **FAKE_KEYS
        )

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.PORT}"

    def create(self, name: str, value: str) -> str:
        return self.client.create_secret(Name=name, SecretString=value)["ARN"]

    def put(self, arn: str, value: str) -> None:
        self.client.put_secret_value(SecretId=arn, SecretString=value)

    def stop(self) -> None:
        self.server.stop()
