// Amazon SQS through the AWS SDK for JavaScript v3 (AWS JSON 1.0; the SDK's SQS middleware
// verifies MD5OfMessageBody on send and receive and fails on a mismatch).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  SQSClient,
  CreateQueueCommand,
  SendMessageCommand,
  SendMessageBatchCommand,
  ReceiveMessageCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueuesCommand,
  DeleteQueueCommand,
} from "@aws-sdk/client-sqs";
import { startEmulator, clientConfig } from "./emulator.mjs";

let emulator;
let endpoint;
let sqs;

before(async () => {
  emulator = await startEmulator();
  endpoint = emulator.endpoint;
  sqs = new SQSClient(clientConfig(endpoint));
});

after(() => {
  sqs?.destroy();
  emulator?.stop();
});

test("create, send with attributes, receive, delete", async () => {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "js-orders" }));
  assert.equal(QueueUrl, `${endpoint}/000000000000/js-orders`);
  const sent = await sqs.send(
    new SendMessageCommand({
      QueueUrl,
      MessageBody: "héllo from js",
      MessageAttributes: {
        kind: { DataType: "String", StringValue: "order" },
        raw: { DataType: "Binary", BinaryValue: new Uint8Array([1, 2, 3]) },
      },
    }),
  );
  assert.match(sent.MessageId, /^[0-9a-f-]{36}$/);
  const { Messages } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl,
      WaitTimeSeconds: 2,
      MessageAttributeNames: ["All"],
      MessageSystemAttributeNames: ["All"],
    }),
  );
  assert.equal(Messages.length, 1);
  assert.equal(Messages[0].Body, "héllo from js");
  assert.equal(Messages[0].MessageAttributes.kind.StringValue, "order");
  assert.deepEqual([...Messages[0].MessageAttributes.raw.BinaryValue], [1, 2, 3]);
  assert.equal(Messages[0].MD5OfMessageAttributes, sent.MD5OfMessageAttributes);
  assert.equal(Messages[0].Attributes.ApproximateReceiveCount, "1");
  await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: Messages[0].ReceiptHandle }));
  const attrs = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["All"] }),
  );
  assert.equal(attrs.Attributes.ApproximateNumberOfMessages, "0");
  assert.equal(attrs.Attributes.ApproximateNumberOfMessagesNotVisible, "0");
});

test("batch send reports per-entry results", async () => {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "js-batch" }));
  const out = await sqs.send(
    new SendMessageBatchCommand({
      QueueUrl,
      Entries: [
        { Id: "a", MessageBody: "one" },
        { Id: "b", MessageBody: "two" },
      ],
    }),
  );
  assert.deepEqual(out.Successful.map((e) => e.Id).sort(), ["a", "b"]);
  const { QueueUrls } = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: "js-b" }));
  assert.deepEqual(QueueUrls, [QueueUrl]);
});

test("errors carry the SQS error code", async () => {
  await assert.rejects(
    sqs.send(new GetQueueUrlCommand({ QueueName: "js-missing" })),
    (err) => {
      assert.equal(err.name, "QueueDoesNotExist");
      assert.equal(err.$metadata.httpStatusCode, 400);
      return true;
    },
  );
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "js-gone" }));
  await sqs.send(new DeleteQueueCommand({ QueueUrl }));
  await assert.rejects(sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "x" })));
});
