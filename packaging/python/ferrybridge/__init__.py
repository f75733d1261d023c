"""ferrybridge: a local emulator of Amazon SQS, SNS and EventBridge, as a Python package.

The wheel carries the static ``ferrybridge`` binary (installed as the ``ferrybridge`` command)
and a pytest plugin (fixtures ``ferrybridge_server`` and ``ferrybridge``, see
``ferrybridge.pytest_plugin``). Outside pytest::

    from ferrybridge import Ferrybridge
    with Ferrybridge.start() as emulator:
        boto3.client("sqs", endpoint_url=emulator.endpoint, ...)
"""

from __future__ import annotations

import http.client
import itertools
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import IO, Mapping, Optional, Sequence

__all__ = ["Ferrybridge", "FerrybridgeError", "binary_path", "main"]

#: The version of the emulator this package carries.
__version__ = "0.0.0"


class FerrybridgeError(RuntimeError):
    """The emulator could not be found, started or asked."""


def binary_path() -> str:
    """Path of the ``ferrybridge`` binary: ``$FERRYBRIDGE_BIN`` when set, else the one this
    wheel installed, else ``ferrybridge`` on ``PATH``."""
    override = os.environ.get("FERRYBRIDGE_BIN")
    if override:
        return override
    try:
        from importlib import metadata

        dist = metadata.distribution("ferrybridge")
        for entry in dist.files or ():
            parts = Path(str(entry)).parts
            if parts and parts[-1] == "ferrybridge" and ("bin" in parts or "Scripts" in parts):
                located = Path(str(dist.locate_file(entry))).resolve()
                if located.is_file() and os.access(located, os.X_OK):
                    return str(located)
    except Exception:  # noqa: BLE001 - fall back to PATH below
        pass
    found = shutil.which("ferrybridge")
    if found:
        return found
    raise FerrybridgeError(
        "the ferrybridge binary was not found: reinstall the ferrybridge wheel or set FERRYBRIDGE_BIN"
    )


def main() -> None:
    """``python -m ferrybridge ...``: run the binary with these arguments."""
    binary = binary_path()
    os.execv(binary, [binary, *sys.argv[1:]])


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


_accounts = itertools.count(int(time.time() * 1000) % 10**9 * 100 + os.getpid() % 100)


def _flag_value(args: Sequence[str], flag: str) -> Optional[str]:
    """The value of ``flag`` in ``args`` (``--flag value`` or ``--flag=value``), if given."""
    args = list(args)
    for i, arg in enumerate(args):
        if arg == flag and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(flag + "="):
            return arg[len(flag) + 1 :]
    return None


def fresh_account_id() -> str:
    """A 12-digit account id not handed out before in this process (never 000000000000)."""
    return "%012d" % (100_000_000_000 + next(_accounts) % 900_000_000_000)


class Ferrybridge:
    """A ferrybridge process started by :meth:`start`; :meth:`stop` (or leaving the ``with``
    block) ends it."""

    def __init__(
        self,
        process: subprocess.Popen,
        host: str,
        port: int,
        log_path: Path,
        log: IO[bytes],
        admin_token: Optional[str] = None,
    ):
        self.process = process
        #: The token the emulator's admin API (reset, state, recordings) wants.
        self.admin_token = admin_token
        self.host = host
        self.port = port
        self.log_path = log_path
        self._log = log
        self._reset_supported: Optional[bool] = None
        self._lock = threading.Lock()

    @property
    def endpoint(self) -> str:
        """The endpoint URL for AWS SDKs, e.g. ``http://127.0.0.1:40123``."""
        host = "[%s]" % self.host if ":" in self.host else self.host
        return "http://%s:%d" % (host, self.port)

    @classmethod
    def start(
        cls,
        port: Optional[int] = None,
        host: str = "127.0.0.1",
        args: Sequence[str] = (),
        env: Optional[Mapping[str, str]] = None,
        binary: Optional[str] = None,
        timeout: float = 10.0,
    ) -> "Ferrybridge":
        """Start the binary on ``port`` (a free one when None), wait until it is healthy."""
        binary = binary or binary_path()
        attempts = 1 if port else 3
        last_error = ""
        for _ in range(attempts):
            chosen = port or _free_port(host)
            fd, name = tempfile.mkstemp(prefix="ferrybridge-", suffix=".log")
            log = os.fdopen(fd, "w+b")
            process_env = dict(os.environ if env is None else env)
            # The admin API (reset, state, recordings) needs a token: the one the caller chose
            # (--admin-token or FERRYBRIDGE_ADMIN_TOKEN), else a fresh one we hand the server.
            token = (
                _flag_value(args, "--admin-token")
                or process_env.get("FERRYBRIDGE_ADMIN_TOKEN")
                or secrets.token_hex(16)
            )
            process_env["FERRYBRIDGE_ADMIN_TOKEN"] = token
            process = subprocess.Popen(
                [binary, "--host", host, "--port", str(chosen), *args],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=process_env,
            )
            emulator = cls(process, host, chosen, Path(name), log, admin_token=token)
            try:
                emulator.wait_healthy(timeout)
                return emulator
            except FerrybridgeError as err:
                last_error = str(err)
                emulator.stop()
                # Someone took the free port between our probe and the bind: try another.
                if port or "cannot listen" not in emulator.log_text():
                    break
        raise FerrybridgeError(last_error)

    def __enter__(self) -> "Ferrybridge":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def _request(self, method: str, path: str, timeout: float = 5.0):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            headers = {"Accept": "application/json"}
            if self.admin_token:
                headers["Authorization"] = "Bearer " + self.admin_token
            conn.request(method, path, headers=headers)
            response = conn.getresponse()
            return response.status, response.read().decode("utf-8", "replace")
        finally:
            conn.close()

    def health(self) -> dict:
        """The answer of ``GET /_ferrybridge/health``."""
        status, body = self._request("GET", "/_ferrybridge/health")
        if status != 200:
            raise FerrybridgeError("health answered %d: %s" % (status, body))
        return json.loads(body)

    def wait_healthy(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise FerrybridgeError(
                    "ferrybridge exited with status %s before it was healthy:\n%s"
                    % (self.process.returncode, self.log_text())
                )
            try:
                if self.health().get("status") == "running":
                    return
            except (OSError, FerrybridgeError, ValueError):
                pass
            if time.monotonic() > deadline:
                raise FerrybridgeError(
                    "ferrybridge was not healthy after %.0f s:\n%s" % (timeout, self.log_text())
                )
            time.sleep(0.02)

    @property
    def reset_supported(self) -> bool:
        """Whether this emulator answers ``POST /_ferrybridge/reset`` (asked once)."""
        if self._reset_supported is None:
            self.reset()
        return bool(self._reset_supported)

    def reset(self) -> bool:
        """Forget every queue, topic, bus and message (``POST /_ferrybridge/reset``). False when
        this version of the emulator has no reset endpoint (it answers 404)."""
        status, body = self._request("POST", "/_ferrybridge/reset")
        if status == 404:
            self._reset_supported = False
            return False
        if not 200 <= status < 300:
            raise FerrybridgeError("reset answered %d: %s" % (status, body))
        self._reset_supported = True
        return True

    @staticmethod
    def fresh_account() -> str:
        """A 12-digit account id used by nobody yet: as an access key id it is that account, an
        empty one."""
        return fresh_account_id()

    def log_size(self) -> int:
        try:
            return self.log_path.stat().st_size
        except OSError:
            return 0

    def log_text(self, start: int = 0, limit: int = 64 * 1024) -> str:
        """What the emulator logged from byte ``start`` on (at most the last ``limit`` bytes)."""
        try:
            with open(self.log_path, "rb") as f:
                f.seek(0, os.SEEK_END)
                end = f.tell()
                f.seek(max(start, end - limit))
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM (graceful), SIGKILL after ``timeout`` seconds; idempotent."""
        with self._lock:
            if self.process.poll() is None:
                self.process.terminate()
                try:
                    self.process.wait(timeout)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
            if not self._log.closed:
                self._log.close()
