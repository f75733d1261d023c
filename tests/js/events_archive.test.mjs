// EventBridge archives, replays, connections and API destinations through the AWS SDK for
// JavaScript v3: an archive replayed into a rule (replay-name added after region), and a rule
// calling a local HTTP API through an API-key connection (AWS's headers and the path wildcard).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import {
  EventBridgeClient,
  CreateEventBusCommand,
  PutRuleCommand,
  PutTargetsCommand,
  PutEventsCommand,
  CreateArchiveCommand,
  DescribeArchiveCommand,
  StartReplayCommand,
  DescribeReplayCommand,
  CreateConnectionCommand,
  DescribeConnectionCommand,
  CreateApiDestinationCommand,
  ResourceNotFoundException,
} from "@aws-sdk/client-eventbridge";
import { SQSClient, CreateQueueCommand, ReceiveMessageCommand, DeleteMessageCommand } from "@aws-sdk/client-sqs";
import { startEmulator, clientConfig } from "./emulator.mjs";

let emulator;
let events;
let sqs;

before(async () => {
  emulator = await startEmulator();
  events = new EventBridgeClient(clientConfig(emulator.endpoint));
  sqs = new SQSClient(clientConfig(emulator.endpoint));
});

after(() => {
  events?.destroy();
  sqs?.destroy();
  emulator?.stop();
});

/** Receives (and deletes) until `n` bodies arrived or ~10 s passed. */
async function receive(url, n) {
  const bodies = [];
  for (let i = 0; i < 10 && bodies.length < n; i++) {
    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    for (const m of Messages ?? []) {
      bodies.push(m.Body);
      await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle }));
    }
  }
  return bodies;
}

test("an archived time window is replayed into its rule with replay-name", async () => {
  const { EventBusArn } = await events.send(new CreateEventBusCommand({ Name: "js-orders" }));
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "js-replayed" }));
  await events.send(
    new PutRuleCommand({ Name: "all", EventBusName: "js-orders", EventPattern: '{"source":["shop"]}' }),
  );
  await events.send(
    new PutTargetsCommand({
      Rule: "all",
      EventBusName: "js-orders",
      Targets: [{ Id: "q", Arn: "arn:aws:sqs:us-east-1:000000000000:js-replayed" }],
    }),
  );
  const { ArchiveArn, State } = await events.send(
    new CreateArchiveCommand({ ArchiveName: "js-archive", EventSourceArn: EventBusArn }),
  );
  assert.equal(ArchiveArn, "arn:aws:events:us-east-1:000000000000:archive/js-archive");
  assert.equal(State, "ENABLED");

  const time = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
  const put = await events.send(
    new PutEventsCommand({
      Entries: [1, 2].map((n) => ({
        EventBusName: "js-orders",
        Source: "shop",
        DetailType: "OrderPlaced",
        Time: time,
        Detail: JSON.stringify({ n }),
      })),
    }),
  );
  assert.equal(put.FailedEntryCount, 0);
  const originals = await receive(QueueUrl, 2);
  assert.equal(originals.length, 2);
  const archive = await events.send(new DescribeArchiveCommand({ ArchiveName: "js-archive" }));
  assert.equal(archive.EventCount, 2);
  assert.ok(archive.CreationTime instanceof Date);

  const started = await events.send(
    new StartReplayCommand({
      ReplayName: "js-replay",
      EventSourceArn: ArchiveArn,
      EventStartTime: new Date(time.getTime() - 1000),
      EventEndTime: new Date(time.getTime() + 1000),
      Destination: { Arn: EventBusArn },
    }),
  );
  assert.equal(started.State, "STARTING");
  let replay;
  for (let i = 0; i < 100; i++) {
    replay = await events.send(new DescribeReplayCommand({ ReplayName: "js-replay" }));
    if (replay.State === "COMPLETED") break;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(replay.State, "COMPLETED");
  assert.equal(replay.EventLastReplayedTime.getTime(), time.getTime());

  const replayed = (await receive(QueueUrl, 2)).sort();
  const expected = originals
    .map((body) => body.replace(',"resources":', ',"replay-name":"js-replay","resources":'))
    .sort();
  assert.deepEqual(replayed, expected);
});

test("a rule calls an HTTP API through an API-key connection", async () => {
  const requests = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      requests.push({ method: req.method, url: req.url, headers: req.headers, body });
      res.writeHead(200).end("ok");
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const port = server.address().port;
  try {
    const { ConnectionArn, ConnectionState } = await events.send(
      new CreateConnectionCommand({
        Name: "js-api",
        AuthorizationType: "API_KEY",
        AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: "x-api-key", ApiKeyValue: "s3cret" } },
      }),
    );
    assert.equal(ConnectionState, "AUTHORIZED");
    const described = await events.send(new DescribeConnectionCommand({ Name: "js-api" }));
    assert.deepEqual(described.AuthParameters.ApiKeyAuthParameters, { ApiKeyName: "x-api-key" });
    const { ApiDestinationArn, ApiDestinationState } = await events.send(
      new CreateApiDestinationCommand({
        Name: "js-api",
        ConnectionArn,
        InvocationEndpoint: `http://127.0.0.1:${port}/orders/*`,
        HttpMethod: "POST",
      }),
    );
    assert.equal(ApiDestinationState, "ACTIVE");
    await events.send(new PutRuleCommand({ Name: "to-api", EventPattern: '{"source":["js.api"]}' }));
    await events.send(
      new PutTargetsCommand({
        Rule: "to-api",
        Targets: [
          {
            Id: "api",
            Arn: ApiDestinationArn,
            RoleArn: "arn:aws:iam::000000000000:role/api",
            HttpParameters: { PathParameterValues: ["o-1"] },
          },
        ],
      }),
    );
    const put = await events.send(
      new PutEventsCommand({ Entries: [{ Source: "js.api", DetailType: "OrderPlaced", Detail: '{"id":"o-1"}' }] }),
    );
    for (let i = 0; i < 100 && requests.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(requests.length, 1);
    const [call] = requests;
    assert.equal(call.method, "POST");
    assert.equal(call.url, "/orders/o-1");
    assert.equal(call.headers["x-api-key"], "s3cret");
    assert.equal(call.headers["user-agent"], "Amazon/EventBridge/ApiDestinations");
    assert.equal(call.headers["content-type"], "application/json; charset=utf-8");
    const event = JSON.parse(call.body);
    assert.equal(event.id, put.Entries[0].EventId);
    assert.deepEqual(event.detail, { id: "o-1" });
  } finally {
    server.close();
  }
  await assert.rejects(events.send(new DescribeConnectionCommand({ Name: "nope" })), ResourceNotFoundException);
});
