// AWS's own SNS message validator (npm `sns-validator`) accepts the emulator's signed messages
// when told the emulator's host and CA: the SigningCertURL is https:// (the validator refuses any
// other scheme) and the certificate is served over TLS on the emulator's port, with a server
// certificate from the local CA that `ferrybridge ca print` prints.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import https from "node:https";
import os from "node:os";
import path from "node:path";
import MessageValidator from "sns-validator";
import { SNSClient, CreateTopicCommand, SubscribeCommand, PublishCommand } from "@aws-sdk/client-sns";
import { startEmulator, clientConfig, ferrybridgeBinary } from "./emulator.mjs";

let emulator;
let sns;
let caDir;
let ca;
let endpoint; // the HTTP subscriber
const received = [];
let waiters = [];

before(async () => {
  caDir = mkdtempSync(path.join(os.tmpdir(), "fb-js-ca-"));
  emulator = await startEmulator(["--ca-dir", caDir]);
  ca = execFileSync(ferrybridgeBinary, ["ca", "print", "--ca-dir", caDir], { encoding: "utf8" });
  // sns-validator fetches the certificate with https.get and the global agent: trust our CA
  // there (the same as NODE_EXTRA_CA_CERTS=ca.pem for a whole process).
  https.globalAgent.options.ca = ca;
  sns = new SNSClient(clientConfig(emulator.endpoint));
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      received.push(JSON.parse(body));
      res.end("ok");
      for (const w of waiters) w();
      waiters = [];
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  endpoint = `http://127.0.0.1:${server.address().port}/sns`;
  server.unref();
});

after(() => {
  sns?.destroy();
  emulator?.stop();
  delete https.globalAgent.options.ca;
  if (caDir) rmSync(caDir, { recursive: true, force: true });
});

async function next(type) {
  for (let i = 0; i < 100; i++) {
    const found = received.find((m) => m.Type === type);
    if (found) {
      received.splice(received.indexOf(found), 1);
      return found;
    }
    await new Promise((r) => {
      waiters.push(r);
      setTimeout(r, 100);
    });
  }
  throw new Error(`no ${type} arrived`);
}

function validate(validator, message) {
  return new Promise((resolve, reject) =>
    validator.validate(message, (err, ok) => (err ? reject(err) : resolve(ok))),
  );
}

test("ca print prints the CA kept in --ca-dir", () => {
  assert.match(ca, /^-----BEGIN CERTIFICATE-----\n/);
  assert.equal(ca, readFileSync(path.join(caDir, "ca.pem"), "utf8"));
});

test("sns-validator accepts a confirmation and a notification to an HTTP subscriber", async () => {
  const hostPattern = new RegExp(`^localhost:${emulator.port}$`);
  const validator = new MessageValidator(hostPattern);
  // The emulator's links name the host the client used: localhost, which the certificate covers.
  const client = new SNSClient(clientConfig(`http://localhost:${emulator.port}`));
  const { TopicArn } = await client.send(new CreateTopicCommand({ Name: "js-validated" }));
  await client.send(new SubscribeCommand({ TopicArn, Protocol: "http", Endpoint: endpoint }));

  const confirmation = await next("SubscriptionConfirmation");
  assert.equal(
    confirmation.SigningCertURL,
    `https://localhost:${emulator.port}/_ferrybridge/sns/SimpleNotificationService-ferrybridge.pem`,
  );
  await validate(validator, confirmation);
  const confirmed = await fetch(confirmation.SubscribeURL);
  assert.equal(confirmed.status, 200);

  await client.send(new PublishCommand({ TopicArn, Subject: "hi", Message: "validated by AWS's validator" }));
  const notification = await next("Notification");
  assert.equal(notification.Message, "validated by AWS's validator");
  await validate(validator, notification);

  // The check can fail: a changed message, or a host the pattern does not allow, is refused.
  await assert.rejects(validate(validator, { ...notification, Message: "tampered" }), /invalid/);
  await assert.rejects(validate(new MessageValidator(), notification), /invalid domain/);
  client.destroy();
});
