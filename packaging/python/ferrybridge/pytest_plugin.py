"""pytest plugin of the ferrybridge wheel (registered through the ``pytest11`` entry point).

Fixtures:

``ferrybridge_server`` (session)
    Starts the ferrybridge binary on a free port, waits until it is healthy, and for the whole
    session sets ``AWS_ENDPOINT_URL``, test credentials (``AWS_ACCESS_KEY_ID``,
    ``AWS_SECRET_ACCESS_KEY``) and the region (``AWS_DEFAULT_REGION``, ``AWS_REGION``), so that
    a plain ``boto3.client("sqs")`` talks to it. Stops it at the end, failed tests or not.

``ferrybridge`` (function)
    The same emulator with a clean state for this test: by default a fresh account (a unique
    12-digit access key id is that account on the emulator, so the test sees no queue, topic or
    bus of another test); with ``ferrybridge_clean_state = reset`` in the pytest ini, the
    emulator is reset before the test instead (``POST /_ferrybridge/reset``; emulators without
    that endpoint fall back to a fresh account). Gives ``endpoint``, ``account_id``,
    ``region``, ``server`` and ``client(service)``.

When a test that uses them fails, the emulator's log lines written during that test are shown
in the report ("ferrybridge log" section).

ini options: ``ferrybridge_args`` (extra flags for the binary), ``ferrybridge_region``
(default us-east-1), ``ferrybridge_clean_state`` (``account`` or ``reset``).
Environment: ``FERRYBRIDGE_BIN`` runs another binary.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator

import pytest

from ferrybridge import Ferrybridge, FerrybridgeError

_LOG_OFFSET = "_ferrybridge_log_offset"
_SERVER = "_ferrybridge_server"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("ferrybridge_args", "extra flags for the ferrybridge binary", type="args", default=[])
    parser.addini("ferrybridge_region", "AWS region the fixtures set", default="us-east-1")
    parser.addini(
        "ferrybridge_clean_state",
        "how the ferrybridge fixture gives each test a clean state: account (a fresh account) or reset",
        default="account",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "ferrybridge: the test uses the ferrybridge emulator")


@dataclass
class FerrybridgeTest:
    """What the ``ferrybridge`` fixture gives a test."""

    server: Ferrybridge
    endpoint: str
    region: str
    account_id: str
    access_key_id: str
    secret_access_key: str = "test"
    reset_done: bool = False
    _clients: Dict[str, Any] = field(default_factory=dict)

    def client(self, service_name: str, **kwargs: Any) -> Any:
        """A boto3 client for this test's account (the environment gives the same)."""
        import boto3

        options = dict(
            endpoint_url=self.endpoint,
            region_name=self.region,
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key=self.secret_access_key,
        )
        options.update(kwargs)
        return boto3.client(service_name, **options)


def _forget_boto3_default_session() -> None:
    # boto3.client(...) reuses one default session, and botocore caches the credentials it
    # resolved first: without this a per-test access key in the environment would be ignored.
    boto3 = sys.modules.get("boto3")
    if boto3 is not None:
        boto3.DEFAULT_SESSION = None


@pytest.fixture(scope="session")
def ferrybridge_server(request: pytest.FixtureRequest) -> Iterator[Ferrybridge]:
    config = request.config
    region = config.getini("ferrybridge_region") or "us-east-1"
    try:
        server = Ferrybridge.start(args=list(config.getini("ferrybridge_args")))
    except FerrybridgeError as err:
        pytest.fail("ferrybridge did not start: %s" % err, pytrace=False)
    settings = {
        "AWS_ENDPOINT_URL": server.endpoint,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
    }
    removed = ("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_PROFILE")
    saved = {name: os.environ.get(name) for name in (*settings, *removed)}
    os.environ.update(settings)
    for name in removed:
        os.environ.pop(name, None)
    _forget_boto3_default_session()
    setattr(config, _SERVER, server)
    try:
        yield server
    finally:
        server.stop()
        if request.session.testsfailed == 0:
            server.log_path.unlink(missing_ok=True)  # kept for a look when something failed
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        _forget_boto3_default_session()


@pytest.fixture
def ferrybridge(request: pytest.FixtureRequest, ferrybridge_server: Ferrybridge, monkeypatch: pytest.MonkeyPatch) -> Iterator[FerrybridgeTest]:
    server = ferrybridge_server
    if server.process.poll() is not None:
        pytest.fail(
            "ferrybridge exited (status %s):\n%s" % (server.process.returncode, server.log_text()),
            pytrace=False,
        )
    setattr(request.node, _LOG_OFFSET, server.log_size())
    mode = (request.config.getini("ferrybridge_clean_state") or "account").strip().lower()
    if mode not in ("account", "reset"):
        pytest.fail("ferrybridge_clean_state is account or reset, not %r" % mode, pytrace=False)
    reset_done = mode == "reset" and server.reset()
    # Without a reset (or as its fallback) a fresh account is this test's clean state.
    account_id = "000000000000" if reset_done else server.fresh_account()
    access_key = "test" if reset_done else account_id
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", access_key)
    _forget_boto3_default_session()
    yield FerrybridgeTest(
        server=server,
        endpoint=server.endpoint,
        region=os.environ.get("AWS_REGION", "us-east-1"),
        account_id=account_id,
        access_key_id=access_key,
        reset_done=bool(reset_done),
    )
    _forget_boto3_default_session()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if not report.failed:
        return
    server = getattr(item.config, _SERVER, None)
    if server is None or "ferrybridge_server" not in getattr(item, "fixturenames", ()):
        return
    offset = getattr(item, _LOG_OFFSET, None)
    text = server.log_text(offset) if offset is not None else server.log_text(limit=16 * 1024)
    where = "during this test" if offset is not None else "last lines"
    report.sections.append(
        ("ferrybridge log (%s, %s)" % (where, server.log_path), text or "(nothing logged)\n")
    )
