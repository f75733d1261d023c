"""EventBridge archives and replays through boto3 and the AWS CLI, in both venvs (every
operation here exists in botocore 1.31.62 too; only `KmsKeyIdentifier` on archives is newer).

Expected values are AWS's: texts and shapes recorded against AWS (LocalStack's AWS-validated
snapshot test_archive_and_replay.snapshot.json) or the AWS documentation; the sources are in
/work/notes/i7-py-facts.md. Retention expiry needs the manual clock, which the server does not
expose to Python (no admin clock endpoint): it is covered by the Rust tests.
"""

import datetime as dt
import json
import time

import botocore.session
import pytest
from botocore.exceptions import ClientError, ParamValidationError

from conftest import make_client
from test_cli import aws
from test_events import UUID, error_of, events_client, make_queue, receive, unique

ACCOUNT = "000000000000"
REGION = "us-east-1"
SHOP = {"source": ["shop.orders"]}
ENVELOPE_KEYS = ["version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"]
REPLAYED_KEYS = ["version", "id", "detail-type", "source", "account", "time", "region", "replay-name",
                 "resources", "detail"]

#: KmsKeyIdentifier on archives came with botocore 1.34.x; the legacy venv (1.31.62) lacks it.
HAS_ARCHIVE_KMS = "KmsKeyIdentifier" in (
    botocore.session.get_session().get_service_model("events")
    .operation_model("CreateArchive").input_shape.members
)


@pytest.fixture
def events(endpoint):
    return events_client(endpoint)


@pytest.fixture
def raw_events(endpoint):
    return events_client(endpoint, validate=False)


def bus_arn(name):
    return f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/{name}"


def archive_arn(name):
    return f"arn:aws:events:{REGION}:{ACCOUNT}:archive/{name}"


def keys(response):
    return {k for k in response if k != "ResponseMetadata"}


def entry(order_id, when=None, source="shop.orders", bus=None):
    e = {"Source": source, "DetailType": "OrderPlaced", "Detail": json.dumps({"orderId": order_id})}
    if when is not None:
        e["Time"] = when
    if bus:
        e["EventBusName"] = bus
    return e


def wait_for(probe, timeout=10, step=0.05):
    """Calls `probe` until it returns a truthy value; returns that value (or the last falsy one)."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(step)


def archived_count(events, name, expected, timeout=10):
    """The archive's EventCount once it reached `expected` (or whatever it is at the deadline):
    AWS archives in batches (minutes), the emulator as events are routed."""
    described = wait_for(lambda: (d := events.describe_archive(ArchiveName=name))["EventCount"] == expected
                         and d, timeout)
    return described or events.describe_archive(ArchiveName=name)


def whole_seconds(t):
    return t.replace(microsecond=0)


# ---------------------------------------------------------------------------------------------
# Archives
# ---------------------------------------------------------------------------------------------


def test_archive_with_a_pattern_keeps_only_matching_events(events):
    bus = unique("archived")
    events.create_event_bus(Name=bus)
    shop, everything = unique("shop"), unique("everything")
    created = events.create_archive(ArchiveName=shop, EventSourceArn=bus_arn(bus), Description="shop orders",
                                    EventPattern=json.dumps(SHOP), RetentionDays=1)
    # Recorded: {ArchiveArn, CreationTime, State: ENABLED}.
    assert keys(created) == {"ArchiveArn", "CreationTime", "State"}
    assert created["ArchiveArn"] == archive_arn(shop)
    assert created["State"] == "ENABLED"
    assert isinstance(created["CreationTime"], dt.datetime)
    events.create_archive(ArchiveName=everything, EventSourceArn=bus_arn(bus))

    events.put_events(Entries=[entry(f"o-{i}", bus=bus) for i in range(3)]
                      + [entry("x-1", source="shop.returns", bus=bus), entry("x-2", source="crm", bus=bus)])

    described = archived_count(events, shop, 3)
    # Recorded key set (alphabetical on the wire), EventPattern as the JSON text given.
    assert keys(described) == {"ArchiveArn", "ArchiveName", "CreationTime", "Description", "EventCount",
                               "EventPattern", "EventSourceArn", "RetentionDays", "SizeBytes", "State"}
    assert described["ArchiveArn"] == archive_arn(shop) and described["ArchiveName"] == shop
    assert described["EventCount"] == 3
    assert json.loads(described["EventPattern"]) == SHOP
    assert described["EventSourceArn"] == bus_arn(bus)
    assert described["Description"] == "shop orders" and described["RetentionDays"] == 1
    assert described["State"] == "ENABLED"
    assert described["SizeBytes"] > 0

    all_of_them = archived_count(events, everything, 5)
    assert all_of_them["EventCount"] == 5
    # No pattern and no description given: neither key is answered (recorded [False-custom]).
    assert "EventPattern" not in all_of_them and "Description" not in all_of_them
    assert all_of_them["SizeBytes"] > described["SizeBytes"]
    # RetentionDays defaults to 0 (keep forever).
    assert all_of_them["RetentionDays"] == 0

    # Events on another bus are not archived.
    events.put_events(Entries=[entry("elsewhere")])
    time.sleep(0.3)
    assert events.describe_archive(ArchiveName=shop)["EventCount"] == 3


def test_archive_describe_update_delete_and_their_errors(events):
    bus = unique("archives")
    events.create_event_bus(Name=bus)
    name = unique("a")
    events.create_archive(ArchiveName=name, EventSourceArn=bus_arn(bus), EventPattern=json.dumps(SHOP),
                          RetentionDays=1)

    assert error_of(events.create_archive, ArchiveName=name, EventSourceArn=bus_arn(bus)) == (
        "ResourceAlreadyExistsException", f"Archive {name} already exists.")
    missing_bus = unique("nobus")
    assert error_of(events.create_archive, ArchiveName=unique("a"), EventSourceArn=bus_arn(missing_bus)) == (
        "ResourceNotFoundException", f"Event bus {missing_bus} does not exist.")
    missing = unique("missing")
    assert error_of(events.describe_archive, ArchiveName=missing) == (
        "ResourceNotFoundException", f"Archive {missing} does not exist.")
    assert error_of(events.delete_archive, ArchiveName=missing) == (
        "ResourceNotFoundException", f"Archive {missing} does not exist.")

    updated = events.update_archive(ArchiveName=name, Description="now with returns",
                                    EventPattern=json.dumps({"source": ["shop.orders", "shop.returns"]}),
                                    RetentionDays=2)
    # Recorded: UpdateArchive answers like CreateArchive.
    assert keys(updated) == {"ArchiveArn", "CreationTime", "State"}
    assert updated["ArchiveArn"] == archive_arn(name) and updated["State"] == "ENABLED"
    described = events.describe_archive(ArchiveName=name)
    assert described["Description"] == "now with returns" and described["RetentionDays"] == 2
    assert json.loads(described["EventPattern"]) == {"source": ["shop.orders", "shop.returns"]}
    assert described["CreationTime"] == updated["CreationTime"]
    # The new pattern applies to events from now on.
    events.put_events(Entries=[entry("r-1", source="shop.returns", bus=bus)])
    assert archived_count(events, name, 1)["EventCount"] == 1

    code, message = error_of(events.update_archive, ArchiveName=name, EventPattern='{"source": "not a list"}')
    assert code == "InvalidEventPatternException"
    assert message.startswith("Event pattern is not valid. Reason: ")

    # Recorded, surprisingly: UpdateArchive of a missing archive is a 500 InternalException.
    with pytest.raises(ClientError) as info:
        events.update_archive(ArchiveName=missing, Description="x")
    error = info.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert (error["Error"]["Code"], error["Error"]["Message"]) == (
        "InternalException", "Service encountered unexpected problem. Please try again.")

    deleted = events.delete_archive(ArchiveName=name)
    assert keys(deleted) == set()
    assert error_of(events.describe_archive, ArchiveName=name)[0] == "ResourceNotFoundException"
    # The name is free again.
    events.create_archive(ArchiveName=name, EventSourceArn=bus_arn(bus))
    assert events.describe_archive(ArchiveName=name)["EventCount"] == 0


def test_archive_validation_errors_are_the_models(raw_events):
    code, message = error_of(raw_events.create_archive, ArchiveName="no spaces allowed",
                             EventSourceArn=bus_arn("default"))
    assert code == "ValidationException"
    assert message == (
        "1 validation error detected: Value 'no spaces allowed' at 'archiveName' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+")
    code, message = error_of(raw_events.create_archive, ArchiveName="a" * 49, EventSourceArn=bus_arn("default"),
                             RetentionDays=-1)
    assert code == "ValidationException"
    assert message.startswith("2 validation errors detected: ")
    assert "at 'archiveName' failed to satisfy constraint: Member must have length less than or equal to 48" in message
    assert ("Value '-1' at 'retentionDays' failed to satisfy constraint: Member must have value greater than "
            "or equal to 0") in message


def test_archive_kms_key_identifier_where_the_client_has_it(events):
    bus = unique("kms")
    events.create_event_bus(Name=bus)
    name = unique("a")
    if not HAS_ARCHIVE_KMS:
        # botocore 1.31.62 predates the parameter: it cannot be sent at all.
        with pytest.raises(ParamValidationError):
            events.create_archive(ArchiveName=name, EventSourceArn=bus_arn(bus), KmsKeyIdentifier="alias/orders")
        return
    events.create_archive(ArchiveName=name, EventSourceArn=bus_arn(bus), KmsKeyIdentifier="alias/orders")
    assert events.describe_archive(ArchiveName=name)["KmsKeyIdentifier"] == "alias/orders"
    events.update_archive(ArchiveName=name, KmsKeyIdentifier="alias/other")
    assert events.describe_archive(ArchiveName=name)["KmsKeyIdentifier"] == "alias/other"


def test_list_archives_filters_and_pages(events):
    prefix = unique("list")
    bus, other_bus = unique("bus"), unique("bus")
    events.create_event_bus(Name=bus)
    events.create_event_bus(Name=other_bus)
    names = [f"{prefix}-{i}" for i in range(3)]
    for n in names:
        events.create_archive(ArchiveName=n, EventSourceArn=bus_arn(bus), Description="d",
                              EventPattern=json.dumps(SHOP), RetentionDays=1)
    events.create_archive(ArchiveName=f"{prefix}-other", EventSourceArn=bus_arn(other_bus))

    listed = events.list_archives(NamePrefix=prefix)["Archives"]
    assert [a["ArchiveName"] for a in listed] == names + [f"{prefix}-other"]
    # Recorded entry shape: no ArchiveArn, Description or EventPattern.
    assert {frozenset(a) for a in listed} == {frozenset(
        {"ArchiveName", "CreationTime", "EventCount", "EventSourceArn", "RetentionDays", "SizeBytes", "State"})}
    assert listed[0]["EventCount"] == 0 and listed[0]["SizeBytes"] == 0 and listed[0]["State"] == "ENABLED"

    by_source = events.list_archives(EventSourceArn=bus_arn(other_bus))["Archives"]
    assert [a["ArchiveName"] for a in by_source] == [f"{prefix}-other"]
    assert events.list_archives(NamePrefix=names[1])["Archives"][0]["ArchiveName"] == names[1]
    assert events.list_archives(NamePrefix=unique("doesnotexist"))["Archives"] == []
    enabled = events.list_archives(NamePrefix=prefix, State="ENABLED")["Archives"]
    assert len(enabled) == 4
    assert events.list_archives(NamePrefix=prefix, State="DISABLED")["Archives"] == []

    page = events.list_archives(NamePrefix=prefix, Limit=3)
    assert len(page["Archives"]) == 3 and page["NextToken"]
    rest = events.list_archives(NamePrefix=prefix, Limit=3, NextToken=page["NextToken"])
    assert [a["ArchiveName"] for a in rest["Archives"]] == [f"{prefix}-other"]
    assert "NextToken" not in rest

    missing = unique("nobus")
    assert error_of(events.list_archives, EventSourceArn=bus_arn(missing)) == (
        "ResourceNotFoundException", f"Event bus {missing} does not exist.")

    events.delete_archive(ArchiveName=names[0])
    assert [a["ArchiveName"] for a in events.list_archives(NamePrefix=prefix)["Archives"]] == names[1:] + [
        f"{prefix}-other"]


# ---------------------------------------------------------------------------------------------
# Replays
# ---------------------------------------------------------------------------------------------


def replay_setup(events, sqs):
    """A bus with two rules (each to its own queue) and an archive of every event on it."""
    bus = unique("replayed")
    arn = events.create_event_bus(Name=bus)["EventBusArn"]
    rules, queues = [], []
    for label in ("billing", "shipping"):
        rule_arn = events.put_rule(Name=label, EventBusName=bus, EventPattern=json.dumps(SHOP))["RuleArn"]
        url, queue_arn = make_queue(sqs)
        events.put_targets(Rule=label, EventBusName=bus, Targets=[{"Id": "q", "Arn": queue_arn}])
        rules.append(rule_arn)
        queues.append(url)
    archive = unique("archive")
    events.create_archive(ArchiveName=archive, EventSourceArn=arn)
    return bus, arn, rules, queues, archive


def wait_for_replay(events, name, final=("COMPLETED", "CANCELLED", "FAILED"), timeout=20):
    seen = []

    def probe():
        d = events.describe_replay(ReplayName=name)
        if not seen or seen[-1] != d["State"]:
            seen.append(d["State"])
        return d if d["State"] in final else None

    return wait_for(probe, timeout, 0.02), seen


def test_replay_of_a_time_window_into_one_rule(endpoint, events):
    sqs = make_client(endpoint)
    bus, arn, (billing_rule, shipping_rule), (billing, shipping), archive = replay_setup(events, sqs)
    # Event times (PutEvents `Time`) decide what a replay takes, not arrival times.
    base = whole_seconds(dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=10))
    inside = [base + dt.timedelta(seconds=s) for s in (30, 10, 20)]
    put = events.put_events(Entries=[entry(f"o-{i}", when=t, bus=bus) for i, t in enumerate(inside)]
                            + [entry("too-early", when=base - dt.timedelta(minutes=5), bus=bus),
                               entry("too-late", when=base + dt.timedelta(seconds=60), bus=bus)])
    assert put["FailedEntryCount"] == 0
    assert len(receive(sqs, billing, 5)) == 5 and len(receive(sqs, shipping, 5)) == 5
    assert archived_count(events, archive, 5)["EventCount"] == 5

    name = unique("replay")
    started = events.start_replay(
        ReplayName=name, Description="after the outage", EventSourceArn=archive_arn(archive),
        EventStartTime=base, EventEndTime=base + dt.timedelta(seconds=60),
        Destination={"Arn": arn, "FilterArns": [billing_rule]})
    # Recorded: {ReplayArn, ReplayStartTime, State: STARTING}.
    assert keys(started) == {"ReplayArn", "ReplayStartTime", "State"}
    assert started["ReplayArn"] == f"arn:aws:events:{REGION}:{ACCOUNT}:replay/{name}"
    assert started["State"] == "STARTING"

    described, states = wait_for_replay(events, name)
    assert described and described["State"] == "COMPLETED", states
    assert set(states) <= {"STARTING", "RUNNING", "COMPLETED"} and states[-1] == "COMPLETED"
    # Recorded key set of a completed replay.
    assert keys(described) == {"Description", "Destination", "EventEndTime", "EventLastReplayedTime",
                               "EventSourceArn", "EventStartTime", "ReplayArn", "ReplayEndTime", "ReplayName",
                               "ReplayStartTime", "State"}
    assert described["Destination"] == {"Arn": arn, "FilterArns": [billing_rule]}
    assert described["EventSourceArn"] == archive_arn(archive)
    assert described["EventStartTime"] == base
    assert described["EventEndTime"] == base + dt.timedelta(seconds=60)
    # DescribeReplay docs: "the time within the specified time range associated with the last
    # event replayed" -- the latest event time in the window.
    assert described["EventLastReplayedTime"] == max(inside)
    assert described["ReplayStartTime"] <= described["ReplayEndTime"]
    assert described["Description"] == "after the outage" and described["ReplayName"] == name

    replayed = receive(sqs, billing, 3)
    bodies = [json.loads(m["Body"]) for m in replayed]
    assert len(bodies) == 3
    for body in bodies:
        # Recorded: `replay-name` between `region` and `resources`.
        assert list(body) == REPLAYED_KEYS
        assert body["replay-name"] == name
        assert UUID.match(body["id"])
    assert sorted(b["time"] for b in bodies) == [t.strftime("%Y-%m-%dT%H:%M:%SZ") for t in sorted(inside)]
    assert sorted(b["detail"]["orderId"] for b in bodies) == ["o-0", "o-1", "o-2"]
    # Only the rule in FilterArns saw the replay.
    assert receive(sqs, shipping, 1, timeout=1) == []
    # Replayed events are not archived again.
    assert events.describe_archive(ArchiveName=archive)["EventCount"] == 5

    # Without FilterArns every rule on the bus gets the replay.
    everyone = unique("replay-all")
    events.start_replay(ReplayName=everyone, EventSourceArn=archive_arn(archive), EventStartTime=base,
                        EventEndTime=base + dt.timedelta(seconds=60), Destination={"Arn": arn})
    described, states = wait_for_replay(events, everyone)
    assert described["State"] == "COMPLETED", states
    assert "FilterArns" not in described["Destination"]
    for url in (billing, shipping):
        got = [json.loads(m["Body"]) for m in receive(sqs, url, 3)]
        assert len(got) == 3 and {b["replay-name"] for b in got} == {everyone}


def test_replay_errors(events):
    bus = unique("errors")
    arn = events.create_event_bus(Name=bus)["EventBusArn"]
    other = unique("other")
    other_arn = events.create_event_bus(Name=other)["EventBusArn"]
    archive = unique("archive")
    events.create_archive(ArchiveName=archive, EventSourceArn=arn)
    end = whole_seconds(dt.datetime.now(dt.timezone.utc))
    start = end - dt.timedelta(minutes=1)
    window = {"EventStartTime": start, "EventEndTime": end}

    missing = unique("missing")
    assert error_of(events.start_replay, ReplayName=unique("r"), EventSourceArn=archive_arn(missing),
                    Destination={"Arn": arn}, **window) == (
        "ValidationException", f"Parameter EventSourceArn is not valid. Reason: Archive {missing} does not exist.")
    nobus = unique("nobus")
    assert error_of(events.start_replay, ReplayName=unique("r"), EventSourceArn=archive_arn(archive),
                    Destination={"Arn": bus_arn(nobus)}, **window) == (
        "ResourceNotFoundException", f"Event bus {nobus} does not exist.")
    assert error_of(events.start_replay, ReplayName=unique("r"), EventSourceArn=archive_arn(archive),
                    Destination={"Arn": other_arn}, **window) == (
        "ValidationException", "Parameter Destination.Arn is not valid. Reason: Cross event bus replay is not permitted.")
    for bad_end in (start, start - dt.timedelta(seconds=10)):
        assert error_of(events.start_replay, ReplayName=unique("r"), EventSourceArn=archive_arn(archive),
                        EventStartTime=start, EventEndTime=bad_end, Destination={"Arn": arn}) == (
            "ValidationException",
            "Parameter EventEndTime is not valid. Reason: EventStartTime must be before EventEndTime.")

    name = unique("r")
    events.start_replay(ReplayName=name, EventSourceArn=archive_arn(archive), Destination={"Arn": arn}, **window)
    assert error_of(events.start_replay, ReplayName=name, EventSourceArn=archive_arn(archive),
                    Destination={"Arn": arn}, **window) == (
        "ResourceAlreadyExistsException", f"Replay {name} already exists.")
    # Names are unique per account and region, not per archive.
    other_archive = unique("archive")
    events.create_archive(ArchiveName=other_archive, EventSourceArn=other_arn)
    assert error_of(events.start_replay, ReplayName=name, EventSourceArn=archive_arn(other_archive),
                    Destination={"Arn": other_arn}, **window) == (
        "ResourceAlreadyExistsException", f"Replay {name} already exists.")

    assert error_of(events.describe_replay, ReplayName=missing) == (
        "ResourceNotFoundException", f"Replay {missing} does not exist.")
    assert error_of(events.cancel_replay, ReplayName=missing)[0] == "ResourceNotFoundException"

    # An empty window completes, and a completed replay cannot be cancelled.
    described, states = wait_for_replay(events, name)
    assert described["State"] == "COMPLETED", states
    # Recorded: nothing was replayed, so there is no EventLastReplayedTime.
    assert "EventLastReplayedTime" not in described and "ReplayEndTime" in described
    code, _ = error_of(events.cancel_replay, ReplayName=name)
    assert code == "IllegalStatusException"


def test_list_replays_filters_and_pages(events):
    bus = unique("listed")
    arn = events.create_event_bus(Name=bus)["EventBusArn"]
    archive, other_archive = unique("archive"), unique("archive")
    events.create_archive(ArchiveName=archive, EventSourceArn=arn)
    events.create_archive(ArchiveName=other_archive, EventSourceArn=arn)
    end = whole_seconds(dt.datetime.now(dt.timezone.utc))
    window = {"EventStartTime": end - dt.timedelta(minutes=1), "EventEndTime": end}
    prefix = unique("p")
    names = [f"{prefix}-replay-{i}" for i in range(4)]
    for n in names:
        events.start_replay(ReplayName=n, Description="d", EventSourceArn=archive_arn(archive),
                            Destination={"Arn": arn}, **window)
    elsewhere = f"{prefix}-elsewhere"
    events.start_replay(ReplayName=elsewhere, EventSourceArn=archive_arn(other_archive),
                        Destination={"Arn": arn}, **window)
    for n in names + [elsewhere]:
        assert wait_for_replay(events, n)[0]["State"] == "COMPLETED"

    listed = events.list_replays(NamePrefix=prefix)["Replays"]
    assert sorted(r["ReplayName"] for r in listed) == sorted(names + [elsewhere])
    assert [r["ReplayName"] for r in listed if r["ReplayName"] != elsewhere] == names
    # Recorded entry shape (empty archive: no EventLastReplayedTime): no ReplayArn, Destination
    # or Description.
    for r in listed:
        assert set(r) == {"EventEndTime", "EventSourceArn", "EventStartTime", "ReplayEndTime", "ReplayName",
                          "ReplayStartTime", "State"}
        assert r["State"] == "COMPLETED"
    assert [r["ReplayName"] for r in events.list_replays(EventSourceArn=archive_arn(other_archive))["Replays"]] == [
        elsewhere]
    assert [r["ReplayName"] for r in events.list_replays(NamePrefix=names[2])["Replays"]] == [names[2]]
    assert len(events.list_replays(NamePrefix=prefix, State="COMPLETED")["Replays"]) == 5
    assert events.list_replays(NamePrefix=prefix, State="RUNNING")["Replays"] == []
    assert events.list_replays(NamePrefix=unique("none"))["Replays"] == []

    page = events.list_replays(NamePrefix=f"{prefix}-replay", Limit=3)
    assert [r["ReplayName"] for r in page["Replays"]] == names[:3] and page["NextToken"]
    rest = events.list_replays(NamePrefix=f"{prefix}-replay", Limit=5, NextToken=page["NextToken"])
    assert [r["ReplayName"] for r in rest["Replays"]] == names[3:] and "NextToken" not in rest


def test_at_most_ten_active_replays(endpoint):
    """Recorded: the 11th replay while ten are STARTING or RUNNING is refused (a separate
    account keeps other tests' replays out of the count)."""
    events = events_client(endpoint, "555555555555")
    bus = unique("busy")
    arn = events.create_event_bus(Name=bus)["EventBusArn"]
    archive = unique("archive")
    events.create_archive(ArchiveName=archive, EventSourceArn=arn)
    end = whole_seconds(dt.datetime.now(dt.timezone.utc))
    window = {"EventStartTime": end - dt.timedelta(minutes=1), "EventEndTime": end}
    source = f"arn:aws:events:{REGION}:555555555555:archive/{archive}"
    names = [unique("r") for _ in range(10)]
    for n in names:
        events.start_replay(ReplayName=n, EventSourceArn=source, Destination={"Arn": arn}, **window)
    assert error_of(events.start_replay, ReplayName=unique("r"), EventSourceArn=source, Destination={"Arn": arn},
                    **window) == ("LimitExceededException", "The requested resource exceeds the maximum number allowed.")
    for n in names:
        events.cancel_replay(ReplayName=n)


def test_cancel_replay(events, endpoint):
    """A replay still working can be cancelled: CancelReplay answers CANCELLING (recorded) and
    the replay ends CANCELLED (docs). On AWS a replay takes minutes; the emulator starts
    replaying a second after StartReplay, so an immediate cancel finds it STARTING."""
    bus = unique("cancelled")
    arn = events.create_event_bus(Name=bus)["EventBusArn"]
    archive = unique("archive")
    events.create_archive(ArchiveName=archive, EventSourceArn=arn)
    now = whole_seconds(dt.datetime.now(dt.timezone.utc))
    # Events spread over the last 24 hours.
    times = [now - dt.timedelta(minutes=m) for m in range(1, 1441, 72)]
    for i in range(0, len(times), 10):
        events.put_events(Entries=[entry(f"o-{j}", when=t, bus=bus) for j, t in enumerate(times[i:i + 10])])
    archived_count(events, archive, len(times))
    name = unique("r")
    events.start_replay(ReplayName=name, EventSourceArn=archive_arn(archive),
                        EventStartTime=now - dt.timedelta(days=1), EventEndTime=now, Destination={"Arn": arn})
    cancelled = events.cancel_replay(ReplayName=name)
    assert keys(cancelled) <= {"ReplayArn", "State", "StateReason"}
    assert cancelled["ReplayArn"] == f"arn:aws:events:{REGION}:{ACCOUNT}:replay/{name}"
    assert cancelled["State"] == "CANCELLING"
    described, states = wait_for_replay(events, name, final=("CANCELLED", "COMPLETED", "FAILED"))
    assert described["State"] == "CANCELLED", states
    assert set(states) <= {"STARTING", "RUNNING", "CANCELLING", "CANCELLED"}
    # Cancelling twice is not allowed.
    assert error_of(events.cancel_replay, ReplayName=name)[0] == "IllegalStatusException"


# ---------------------------------------------------------------------------------------------
# The AWS CLI
# ---------------------------------------------------------------------------------------------


def cli(endpoint, *args):
    out = aws(endpoint, "events", *args)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout) if out.stdout.strip() else None


def test_cli_archive_and_replay(endpoint):
    sqs = make_client(endpoint)
    bus = unique("cli-bus")
    arn = cli(endpoint, "create-event-bus", "--name", bus)["EventBusArn"]
    url, queue_arn = make_queue(sqs)
    rule_arn = cli(endpoint, "put-rule", "--name", "all", "--event-bus-name", bus,
                   "--event-pattern", json.dumps(SHOP))["RuleArn"]
    cli(endpoint, "put-targets", "--rule", "all", "--event-bus-name", bus, "--targets", f"Id=q,Arn={queue_arn}")
    archive = unique("cli-archive")
    created = cli(endpoint, "create-archive", "--archive-name", archive, "--event-source-arn", arn,
                  "--event-pattern", json.dumps(SHOP), "--retention-days", "7")
    assert created["ArchiveArn"] == archive_arn(archive) and created["State"] == "ENABLED"
    start = whole_seconds(dt.datetime.now(dt.timezone.utc))
    cli(endpoint, "put-events", "--entries", json.dumps([entry("o-1", bus=bus), entry("o-2", bus=bus)]))
    assert len(receive(sqs, url, 2)) == 2
    described = wait_for(lambda: (d := cli(endpoint, "describe-archive", "--archive-name", archive))["EventCount"] == 2
                         and d)
    assert described and described["RetentionDays"] == 7
    time.sleep(1)
    end = whole_seconds(dt.datetime.now(dt.timezone.utc))
    replay = unique("cli-replay")
    started = cli(endpoint, "start-replay", "--replay-name", replay, "--event-source-arn", archive_arn(archive),
                  "--event-start-time", start.isoformat(), "--event-end-time", end.isoformat(),
                  "--destination", json.dumps({"Arn": arn, "FilterArns": [rule_arn]}))
    assert started["State"] == "STARTING"
    done = wait_for(lambda: (d := cli(endpoint, "describe-replay", "--replay-name", replay))["State"] == "COMPLETED"
                    and d)
    assert done and done["Destination"]["FilterArns"] == [rule_arn]
    bodies = [json.loads(m["Body"]) for m in receive(sqs, url, 2)]
    assert {b["replay-name"] for b in bodies} == {replay} and len(bodies) == 2
    listed = cli(endpoint, "list-replays", "--name-prefix", replay)["Replays"]
    assert [r["ReplayName"] for r in listed] == [replay] and listed[0]["State"] == "COMPLETED"
    assert cli(endpoint, "list-archives", "--event-source-arn", arn)["Archives"][0]["ArchiveName"] == archive
    missing = aws(endpoint, "events", "describe-archive", "--archive-name", archive + "-nope")
    assert missing.returncode != 0
    assert ("An error occurred (ResourceNotFoundException) when calling the DescribeArchive operation: "
            f"Archive {archive}-nope does not exist.") in missing.stderr
    assert cli(endpoint, "delete-archive", "--archive-name", archive) is None
