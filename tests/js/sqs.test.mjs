// Amazon SQS through the AWS SDK for JavaScript v3 (AWS JSON 1.0; the SDK's SQS middleware
// verifies MD5OfMessageBody on send and receive and fails on a mismatch).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import path from "node:path";
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

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const binary = process.env.FERRYBRIDGE_BIN ?? path.join(root, "target/release/ferrybridge");
let server;
let endpoint;
let sqs;

async function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

before(async () => {
  const port = await freePort();
  endpoint = `http://127.0.0.1:${port}`;
  server = spawn(binary, ["--port", String(port), "--log-level", "warn"], { stdio: "inherit" });
  for (let i = 0; i < 500; i++) {
    try {
      const res = await fetch(`${endpoint}/_ferrybridge/health`);
      if (res.ok) break;
    } catch {
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  sqs = new SQSClient({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  });
});

after(() => {
  sqs?.destroy();
  server?.kill("SIGTERM");
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
