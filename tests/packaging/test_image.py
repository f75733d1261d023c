"""The container image scripts/dist built with buildah (FROM scratch around the static binary):
its config as `buildah inspect` shows it, its size, and its root file system run the way a
container runtime would run it (chroot, the image's user and environment), since this sandbox
refuses to run containers."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

import pytest

from conftest import CHROOT, DIST, free_port, sqs_round_trip, stop, version, wait_for_port

MAX_IMAGE_BYTES = 20 * 1024 * 1024


@pytest.fixture(scope="module")
def inspected():
    out = subprocess.run(
        ["buildah", "--storage-driver", "vfs", "inspect", "--type", "image", f"ferrybridge:{version()}"],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, f"build the image first (scripts/dist image): {out.stderr}"
    return json.loads(out.stdout)


def test_config(inspected):
    config = inspected["Docker"]["config"]
    assert config["Entrypoint"] == ["/ferrybridge"]
    assert config["User"] == "65532:65532"  # not root; numeric since scratch has no /etc/passwd
    assert list(config["ExposedPorts"]) == ["4566/tcp"]
    env = dict(item.split("=", 1) for item in config["Env"])
    assert env["FERRYBRIDGE_HOST"] == "0.0.0.0" and env["FERRYBRIDGE_PORT"] == "4566"
    health = config["Healthcheck"]
    assert health["Test"] == ["CMD", "/ferrybridge", "health", "--quiet"]
    assert health["Interval"] > 0 and health["Retries"] >= 1
    assert inspected["Docker"]["architecture"] == "amd64" and inspected["Docker"]["os"] == "linux"


@pytest.fixture(scope="module")
def rootfs():
    archive = DIST / f"ferrybridge-{version()}-image.tar"
    assert archive.is_file(), "scripts/dist image writes it"
    work = Path(tempfile.mkdtemp(prefix="ferrybridge-image-"))
    with tarfile.open(archive) as tar:
        tar.extractall(work / "archive")
    manifest = json.loads((work / "archive" / "manifest.json").read_text())[0]
    root = work / "rootfs"
    root.mkdir()
    for layer in manifest["Layers"]:
        with tarfile.open(work / "archive" / layer) as tar:
            tar.extractall(root)
    config = json.loads((work / "archive" / manifest["Config"]).read_text())
    yield root, config, archive
    shutil.rmtree(work)


def test_size_and_contents(rootfs):
    root, _, archive = rootfs
    files = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
    assert files == ["etc/ssl/certs/ca-certificates.crt", "ferrybridge"]
    size = sum((root / f).stat().st_size for f in files)
    assert size < MAX_IMAGE_BYTES, f"image content is {size} bytes"
    assert archive.stat().st_size < MAX_IMAGE_BYTES


def test_runs_as_the_image_says(rootfs):
    """What `docker run -e FERRYBRIDGE_PORT=<p> ferrybridge` does: the entrypoint, in the image's
    root, as its user, with its environment; then its HEALTHCHECK command, and an SQS call."""
    if os.geteuid() != 0:
        pytest.fail("chroot needs root (the CI machine runs as root)")
    root, image, _ = rootfs
    config = image["config"]
    env = dict(item.split("=", 1) for item in config["Env"])
    port = free_port()
    env["FERRYBRIDGE_PORT"] = str(port)  # 4566 may be taken on a shared machine
    user = ["--userspec", config["User"]]
    server = subprocess.Popen(
        [CHROOT, *user, str(root), *config["Entrypoint"]],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for_port(port, server)
        probe = config["Healthcheck"]["Test"]
        assert probe[0] == "CMD"
        health = subprocess.run([CHROOT, *user, str(root), *probe[1:]], env=env, capture_output=True, text=True)
        assert health.returncode == 0, health.stderr
        # It listens on every address (0.0.0.0), as a published container port needs.
        listening = subprocess.run(["ss", "-ltnH", f"sport = :{port}"], capture_output=True, text=True).stdout
        assert "0.0.0.0:%d" % port in listening or "*:%d" % port in listening, listening
        sqs_round_trip(f"http://127.0.0.1:{port}", "image")
        status = Path(f"/proc/{server.pid}/status").read_text()
        uid_line = next(l for l in status.splitlines() if l.startswith("Uid:"))
        assert uid_line.split()[1:3] == ["65532", "65532"], uid_line
    finally:
        stop(server)
    assert server.returncode == 0, server.stdout.read()
    # And its HEALTHCHECK fails once it is gone.
    down = subprocess.run([CHROOT, *user, str(root), *config["Healthcheck"]["Test"][1:]], env=env, capture_output=True)
    assert down.returncode == 1


def test_resolves_host_names_as_in_a_container(rootfs):
    """glibc linked statically still reads /etc/hosts (which container runtimes mount into the
    container): an SNS subscription to http://localhost:<port>/ from the image's root gets its
    SubscriptionConfirmation."""
    import http.server
    import threading
    import time

    import boto3

    root, image, _ = rootfs
    config = image["config"]
    received = []

    class Hook(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    hook = http.server.HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    hosts = root / "etc" / "hosts"
    hosts.write_text("127.0.0.1 localhost\n")
    env = dict(item.split("=", 1) for item in config["Env"])
    port = free_port()
    env["FERRYBRIDGE_PORT"] = str(port)
    server = subprocess.Popen([CHROOT, "--userspec", config["User"], str(root), *config["Entrypoint"]], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for_port(port, server)
        sns = boto3.client("sns", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                           aws_access_key_id="test", aws_secret_access_key="test")
        topic = sns.create_topic(Name="hooks")["TopicArn"]
        sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=f"http://localhost:{hook.server_port}/hook")
        deadline = time.monotonic() + 10
        while not received and time.monotonic() < deadline:
            time.sleep(0.05)
        assert received and received[0]["Type"] == "SubscriptionConfirmation", received
    finally:
        stop(server)
        hook.shutdown()
        hosts.unlink()
