// Amazon EventBridge through the AWS SDK for JavaScript v3 (AWS JSON 1.1): a bus, a rule routing
// by content to an SQS queue with an input transformer, PutEvents per-entry errors, and errors
// the SDK must turn into its typed exceptions.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  EventBridgeClient,
  CreateEventBusCommand,
  PutRuleCommand,
  PutTargetsCommand,
  PutEventsCommand,
  DescribeRuleCommand,
  ListTargetsByRuleCommand,
  ResourceNotFoundException,
} from "@aws-sdk/client-eventbridge";
import { SQSClient, CreateQueueCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
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

async function receive(url) {
  for (let i = 0; i < 50; i++) {
    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    if (Messages?.length) return Messages.map((m) => m.Body);
  }
  return [];
}

test("a rule routes matching events to a queue, shaped by an input transformer", async () => {
  await events.send(new CreateEventBusCommand({ Name: "js-central" }));
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "js-billing" }));
  const { RuleArn } = await events.send(
    new PutRuleCommand({
      Name: "big-orders",
      EventBusName: "js-central",
      EventPattern: JSON.stringify({ "detail-type": ["OrderPlaced"], detail: { total: [{ numeric: [">", 100] }] } }),
    }),
  );
  assert.equal(RuleArn, "arn:aws:events:us-east-1:000000000000:rule/js-central/big-orders");
  const put = await events.send(
    new PutTargetsCommand({
      Rule: "big-orders",
      EventBusName: "js-central",
      Targets: [
        {
          Id: "billing",
          Arn: "arn:aws:sqs:us-east-1:000000000000:js-billing",
          InputTransformer: {
            InputPathsMap: { order: "$.detail.orderId", rule: "$.detail.missing" },
            InputTemplate: '"order <order> matched <aws.events.rule-name>"',
          },
        },
      ],
    }),
  );
  assert.equal(put.FailedEntryCount, 0);
  const { Targets } = await events.send(new ListTargetsByRuleCommand({ Rule: "big-orders", EventBusName: "js-central" }));
  assert.equal(Targets[0].InputTransformer.InputPathsMap.order, "$.detail.orderId");

  const result = await events.send(
    new PutEventsCommand({
      Entries: [
        { EventBusName: "js-central", Source: "shop", DetailType: "OrderPlaced", Detail: JSON.stringify({ orderId: "o-9", total: 500 }) },
        { EventBusName: "js-central", Source: "shop", DetailType: "OrderPlaced", Detail: JSON.stringify({ orderId: "o-1", total: 5 }) },
        { EventBusName: "js-central", Source: "shop", DetailType: "OrderPlaced", Detail: "[1, 2]" },
      ],
    }),
  );
  assert.equal(result.FailedEntryCount, 1);
  assert.match(result.Entries[0].EventId, /^[0-9a-f-]{36}$/);
  assert.deepEqual(result.Entries[2], { ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed." });
  assert.deepEqual(await receive(QueueUrl), ['"order o-9 matched big-orders"']);
});

test("errors come back as the SDK's typed exceptions with AWS's messages", async () => {
  await assert.rejects(
    events.send(new DescribeRuleCommand({ Name: "nope", EventBusName: "js-missing" })),
    (err) => {
      assert.ok(err instanceof ResourceNotFoundException);
      assert.equal(err.message, "Event bus js-missing does not exist.");
      assert.equal(err.$metadata.httpStatusCode, 400);
      return true;
    },
  );
  await assert.rejects(events.send(new CreateEventBusCommand({ Name: "has space" })), (err) => {
    // ValidationException is not a modelled error: the SDK names it from the `__type`.
    assert.equal(err.name, "ValidationException");
    assert.equal(
      err.message,
      "1 validation error detected: Value 'has space' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [/\\.\\-_A-Za-z0-9]+",
    );
    return true;
  });
});
