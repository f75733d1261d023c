"""The static binary: no runtime dependency (it runs alone in an empty root directory),
--version, --help with every flag's environment variable, and `ferrybridge health`."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import CHROOT, free_port, sqs_round_trip, stop, version, wait_for_port


def test_is_static(binary):
    headers = subprocess.run(["readelf", "-l", "-d", str(binary)], capture_output=True, text=True, check=True).stdout
    assert "INTERP" not in headers and "program interpreter" not in headers
    assert "(NEEDED)" not in headers, headers


def test_version(binary):
    out = subprocess.run([str(binary), "--version"], capture_output=True, text=True, check=True).stdout
    assert out.strip() == f"ferrybridge {version()}"


def test_help_names_every_flag_with_its_environment_variable(binary):
    out = subprocess.run([str(binary), "--help"], capture_output=True, text=True, check=True).stdout
    # One option block per flag: "--name <VALUE>" or "--name", then its help and [env: ...].
    blocks = re.split(r"\n(?=\s+(?:-\w, )?--[a-z])", out.split("Options:", 1)[1])
    flags = {}
    for block in blocks:
        name = re.match(r"\s+(?:-\w, )?(--[a-z-]+)", block)
        if name:
            env = re.search(r"\[env: ([A-Z_]+)=", block)
            flags[name.group(1)] = env.group(1) if env else None
    assert "health" in out  # the subcommand is listed
    assert {"--host", "--port", "--log-level", "--allow-unsigned"} <= set(flags)
    missing = [f for f, env in flags.items() if env is None and f not in ("--help", "--version")]
    assert missing == [], f"flags without an environment variable: {missing}"
    assert flags["--port"] == "FERRYBRIDGE_PORT" and flags["--host"] == "FERRYBRIDGE_HOST"
    health_help = subprocess.run([str(binary), "health", "--help"], capture_output=True, text=True, check=True).stdout
    for option in ("--host", "--port", "--wait", "--timeout", "--quiet"):
        line = next(l for l in health_help.splitlines() if option in l)
        assert "[env: FERRYBRIDGE_" in line, line


def test_health_subcommand_and_server_flags(binary, tmp_path):
    port = free_port()
    # Nothing listens yet: exit status 1 and a reason.
    down = subprocess.run([str(binary), "health", "--port", str(port)], capture_output=True, text=True)
    assert down.returncode == 1 and "cannot connect" in down.stderr
    # The server's flags work without a subcommand, as before.
    server = subprocess.Popen([str(binary), "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        # --wait keeps asking until the server answers.
        up = subprocess.run([str(binary), "health", "--port", str(port), "--wait", "10"], capture_output=True, text=True)
        assert up.returncode == 0, up.stderr
        assert '"status":"running"' in up.stdout
        # Host and port from the same environment variables as the server; 0.0.0.0 means loopback.
        env = dict(os.environ, FERRYBRIDGE_HOST="0.0.0.0", FERRYBRIDGE_PORT=str(port))
        assert subprocess.run([str(binary), "health", "--quiet"], env=env, capture_output=True).returncode == 0
        # Flags before the subcommand are the server's flags, and health reads them too.
        assert subprocess.run([str(binary), "--port", str(port), "health", "-q"], capture_output=True).returncode == 0
        # Something that is not ferrybridge's health endpoint is not healthy.
        other = subprocess.run([str(binary), "health", "--port", str(port), "--host", "127.0.0.2", "--timeout", "0.5"], capture_output=True)
        assert other.returncode == 1
    finally:
        stop(server)


def test_runs_alone_in_an_empty_root(binary):
    """The binary copied alone into an empty directory, run there with chroot: it needs no
    file of the host (no libc, no loader, no /etc), and answers an SQS call from outside."""
    if os.geteuid() != 0:
        pytest.fail("chroot needs root (the CI machine runs as root)")
    root = Path(tempfile.mkdtemp(prefix="ferrybridge-root-"))
    try:
        shutil.copy2(binary, root / "ferrybridge")
        assert sorted(p.name for p in root.iterdir()) == ["ferrybridge"]
        port = free_port()
        server = subprocess.Popen(
            [CHROOT, str(root), "/ferrybridge", "--port", str(port)],
            env={"FERRYBRIDGE_LOG": "info"},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            wait_for_port(port, server)
            sqs_round_trip(f"http://127.0.0.1:{port}", "empty-root")
            # The health check works from inside the empty root too.
            inside = subprocess.run([CHROOT, str(root), "/ferrybridge", "health", "--port", str(port)], env={}, capture_output=True)
            assert inside.returncode == 0, inside.stderr
        finally:
            stop(server)
        assert server.returncode == 0  # SIGTERM: a graceful stop
        assert "ferrybridge ready" in server.stdout.read()
    finally:
        shutil.rmtree(root)
