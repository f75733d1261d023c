// SigV4 verification with the AWS SDK for JavaScript v3: an emulator started with
// --credentials-map verifies what the SDK signs (SQS over JSON 1.0, SNS over Query, EventBridge
// over JSON 1.1); a wrong secret gets each protocol's error.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { SQSClient, CreateQueueCommand, SendMessageCommand, ListQueuesCommand } from "@aws-sdk/client-sqs";
import { SNSClient, CreateTopicCommand, ListTopicsCommand } from "@aws-sdk/client-sns";
import { EventBridgeClient, PutEventsCommand, ListEventBusesCommand } from "@aws-sdk/client-eventbridge";
import { startEmulator } from "./emulator.mjs";

const KEY = "AKIAFERRYBRIDGEJS001";
const SECRET = "jsSecret/K7MDENG+bPxRfiCYzzzzzzzzzzzzzzz";
const MISMATCH =
  "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

let emulator;
before(async () => {
  emulator = await startEmulator("--credentials-map", `${KEY}=${SECRET}:555566667777`);
});
after(() => emulator?.stop());

const config = (secretAccessKey) => ({
  endpoint: emulator.endpoint,
  region: "us-east-1",
  credentials: { accessKeyId: KEY, secretAccessKey },
  maxAttempts: 1,
});

async function refused(client, command) {
  try {
    await client.send(command);
  } catch (err) {
    return { name: err.name, message: err.message, status: err.$metadata?.httpStatusCode };
  }
  assert.fail("the request was accepted");
}

test("SQS: what the SDK signs is verified; a wrong secret is refused", async () => {
  const sqs = new SQSClient(config(SECRET));
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "js-signed" }));
  assert.match(QueueUrl, /\/555566667777\/js-signed$/);
  await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "héllo wörld ✓ & more" }));
  const err = await refused(new SQSClient(config("wrong")), new ListQueuesCommand({}));
  assert.deepEqual(err, { name: "SignatureDoesNotMatch", message: MISMATCH, status: 403 });
});

test("SNS: verified; a wrong secret is refused", async () => {
  const sns = new SNSClient(config(SECRET));
  await sns.send(new CreateTopicCommand({ Name: "js-signed", Attributes: { DisplayName: "a b+c" } }));
  const err = await refused(new SNSClient(config("wrong")), new ListTopicsCommand({}));
  assert.deepEqual(err, { name: "SignatureDoesNotMatch", message: MISMATCH, status: 403 });
});

test("EventBridge: verified; a wrong secret is refused", async () => {
  const events = new EventBridgeClient(config(SECRET));
  const out = await events.send(
    new PutEventsCommand({
      Entries: [{ Source: "js.test", DetailType: "signed", Detail: JSON.stringify({ ok: true }) }],
    }),
  );
  assert.equal(out.FailedEntryCount, 0);
  const err = await refused(new EventBridgeClient(config("wrong")), new ListEventBusesCommand({}));
  assert.deepEqual(err, { name: "InvalidSignatureException", message: MISMATCH, status: 400 });
});
