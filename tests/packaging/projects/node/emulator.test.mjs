// A user's node:test suite with the ferrybridge npm package (installed from the packed tarballs).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import net from 'node:net';
import { createRequire } from 'node:module';
import {
  SQSClient,
  CreateQueueCommand,
  ListQueuesCommand,
  SendMessageCommand,
  ReceiveMessageCommand,
} from '@aws-sdk/client-sqs';
import { startFerrybridge, binaryPath } from 'ferrybridge';

let fb;
before(async () => {
  fb = await startFerrybridge();
});
after(async () => {
  await fb?.stop();
});

const sqs = (credentials = fb.credentials) =>
  new SQSClient({ endpoint: fb.endpoint, region: fb.region, credentials });

test('the binary comes from the platform package npm chose', () => {
  const require = createRequire(import.meta.url);
  const platformPackage = require.resolve('@ferrybridge/linux-x64/package.json');
  assert.equal(binaryPath(), platformPackage.replace(/package\.json$/, 'bin/ferrybridge'));
});

test('an SQS round trip with @aws-sdk/client-sqs', async () => {
  assert.match(fb.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
  const { QueueUrl } = await sqs().send(new CreateQueueCommand({ QueueName: 'orders' }));
  assert.equal(QueueUrl, `${fb.endpoint}/000000000000/orders`);
  await sqs().send(new SendMessageCommand({ QueueUrl, MessageBody: 'hello' }));
  const { Messages } = await sqs().send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 }));
  assert.equal(Messages[0].Body, 'hello');
});

test('a fresh account is empty', async () => {
  const { accountId, credentials } = fb.freshAccount();
  assert.match(accountId, /^\d{12}$/);
  const listed = await sqs(credentials).send(new ListQueuesCommand({}));
  assert.deepEqual(listed.QueueUrls ?? [], []);
});

test('reset() forgets every queue', async () => {
  const how = await fb.reset();
  assert.ok(how === 'reset' || how === 'restarted', how);
  const listed = await sqs().send(new ListQueuesCommand({}));
  assert.deepEqual(listed.QueueUrls ?? [], []);
  assert.match(fb.logs(), /ferrybridge ready/);
});

test('npx ferrybridge runs the binary', () => {
  const out = execFileSync('npx', ['--no-install', 'ferrybridge', '--version'], { encoding: 'utf8' });
  assert.match(out, /^ferrybridge \d+\.\d+\.\d+/);
});

test('a second emulator on a chosen port, stopped', async () => {
  const port = await new Promise((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const chosen = probe.address().port;
      probe.close(() => resolve(chosen));
    });
  });
  const other = await startFerrybridge({ port, args: ['--log-level', 'debug'] });
  assert.equal(other.port, port);
  assert.equal(other.endpoint, `http://127.0.0.1:${port}`);
  const pid = other.process.pid;
  await other.stop();
  assert.throws(() => process.kill(pid, 0));
});
