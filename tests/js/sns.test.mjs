// Amazon SNS through the AWS SDK for JavaScript v3 (Query protocol, XML answers): fan-out into
// SQS with a filter policy, raw delivery, PublishBatch and an error the SDK must parse.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  SNSClient,
  CreateTopicCommand,
  SubscribeCommand,
  PublishCommand,
  PublishBatchCommand,
  GetTopicAttributesCommand,
  ListSubscriptionsByTopicCommand,
} from "@aws-sdk/client-sns";
import { SQSClient, CreateQueueCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { startEmulator, clientConfig } from "./emulator.mjs";

let emulator;
let sns;
let sqs;

before(async () => {
  emulator = await startEmulator();
  sns = new SNSClient(clientConfig(emulator.endpoint));
  sqs = new SQSClient(clientConfig(emulator.endpoint));
});

after(() => {
  sns?.destroy();
  sqs?.destroy();
  emulator?.stop();
});

async function queue(name) {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
  return { url: QueueUrl, arn: `arn:aws:sqs:us-east-1:000000000000:${name}` };
}

async function receiveAll(url, expected) {
  const bodies = [];
  for (let i = 0; i < 20 && bodies.length < expected; i++) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        MessageAttributeNames: ["All"],
      }),
    );
    bodies.push(...Messages);
  }
  return bodies;
}

test("fan-out with a filter policy: envelope and raw delivery", async () => {
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: "js-orders" }));
  assert.equal(TopicArn, "arn:aws:sns:us-east-1:000000000000:js-orders");
  const eu = await queue("js-eu");
  const raw = await queue("js-raw");
  await sns.send(
    new SubscribeCommand({
      TopicArn,
      Protocol: "sqs",
      Endpoint: eu.arn,
      Attributes: { FilterPolicy: JSON.stringify({ region: [{ prefix: "eu-" }] }) },
      ReturnSubscriptionArn: true,
    }),
  );
  await sns.send(
    new SubscribeCommand({
      TopicArn,
      Protocol: "sqs",
      Endpoint: raw.arn,
      Attributes: { RawMessageDelivery: "true" },
    }),
  );
  const { Subscriptions } = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn }));
  assert.equal(Subscriptions.length, 2);

  for (const region of ["eu-west-1", "us-east-2"]) {
    const { MessageId } = await sns.send(
      new PublishCommand({
        TopicArn,
        Subject: "order",
        Message: JSON.stringify({ region }),
        MessageAttributes: { region: { DataType: "String", StringValue: region } },
      }),
    );
    assert.match(MessageId, /^[0-9a-f-]{36}$/);
  }
  const toEu = await receiveAll(eu.url, 1);
  assert.equal(toEu.length, 1, "only the eu- message passes the filter");
  const envelope = JSON.parse(toEu[0].Body);
  assert.equal(envelope.Type, "Notification");
  assert.equal(envelope.TopicArn, TopicArn);
  assert.equal(envelope.Subject, "order");
  assert.deepEqual(JSON.parse(envelope.Message), { region: "eu-west-1" });
  assert.deepEqual(envelope.MessageAttributes.region, { Type: "String", Value: "eu-west-1" });
  assert.equal(envelope.SignatureVersion, "1");

  const toRaw = await receiveAll(raw.url, 2);
  assert.deepEqual(
    toRaw.map((m) => JSON.parse(m.Body).region).sort(),
    ["eu-west-1", "us-east-2"],
  );
  for (const m of toRaw) {
    assert.equal(m.MessageAttributes.region.DataType, "String");
  }

  const { Attributes } = await sns.send(new GetTopicAttributesCommand({ TopicArn }));
  assert.equal(Attributes.SubscriptionsConfirmed, "2");
});

test("PublishBatch answers per entry, and errors reach the SDK with their code", async () => {
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: "js-batch" }));
  const out = await sns.send(
    new PublishBatchCommand({
      TopicArn,
      PublishBatchRequestEntries: [
        { Id: "a", Message: "first" },
        { Id: "b", Message: "second" },
      ],
    }),
  );
  assert.deepEqual(out.Successful.map((e) => e.Id).sort(), ["a", "b"]);
  assert.equal(out.Failed?.length ?? 0, 0);

  await assert.rejects(
    sns.send(new PublishCommand({ TopicArn: `${TopicArn}-missing`, Message: "x" })),
    (err) => {
      assert.equal(err.name, "NotFoundException");
      assert.equal(err.$metadata.httpStatusCode, 404);
      return true;
    },
  );
});
