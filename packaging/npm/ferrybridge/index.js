// ferrybridge for Node.js: the binary of this platform (from the optional dependency
// @ferrybridge/<platform>-<arch>, chosen by npm at install time) and startFerrybridge(), which
// runs it on a free port for a test suite (node:test, Jest, Vitest).
'use strict';

const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');

/** Platform packages, by `${process.platform}-${process.arch}`. */
const PLATFORM_PACKAGES = { 'linux-x64': '@ferrybridge/linux-x64' };
/** At most this much of the emulator's output is kept for logs(). */
const LOG_LIMIT = 256 * 1024;

function binaryPath() {
  if (process.env.FERRYBRIDGE_BIN) return process.env.FERRYBRIDGE_BIN;
  const platform = `${process.platform}-${process.arch}`;
  const pkg = PLATFORM_PACKAGES[platform];
  if (!pkg) {
    throw new Error(
      `no ferrybridge binary for ${platform} (there is one for ${Object.keys(PLATFORM_PACKAGES).join(', ')}); ` +
        'set FERRYBRIDGE_BIN to a binary built from source',
    );
  }
  let binary;
  try {
    binary = require.resolve(`${pkg}/bin/ferrybridge`);
  } catch {
    throw new Error(
      `the package ${pkg} is not installed: it is an optional dependency of ferrybridge; ` +
        'reinstall without --omit=optional / --no-optional',
    );
  }
  try {
    fs.accessSync(binary, fs.constants.X_OK);
  } catch {
    fs.chmodSync(binary, 0o755); // some package managers drop the executable bit
  }
  return binary;
}

function freePort(host) {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function request(host, port, method, path, timeoutMs = 5000, token = null) {
  const headers = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host, port, method, path, headers, timeout: timeoutMs, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer in ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

let accountSequence = (Date.now() % 1e9) * 100 + (process.pid % 100);
function freshAccountId() {
  accountSequence += 1;
  return String(100000000000 + (accountSequence % 900000000000)).padStart(12, '0');
}

/** Starts one process and waits until it is healthy; rejects with its output otherwise. */
async function launch(binary, host, port, args, env, timeoutMs, log) {
  const child = spawn(binary, ['--host', host, '--port', String(port), ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk) => {
    output = (output + chunk).slice(-LOG_LIMIT);
    if (log === 'inherit') process.stderr.write(chunk);
  };
  child.stdout.setEncoding('utf8').on('data', keep);
  child.stderr.setEncoding('utf8').on('data', keep);
  let exited = null;
  let spawnError = null;
  const exit = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      resolve(exited);
    });
    child.on('error', (err) => {
      spawnError = err;
      exited = exited || { code: null, signal: null };
      resolve(exited);
    });
  });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited) {
      const why = spawnError ? spawnError.message : `exited with ${exited.code ?? exited.signal}`;
      const err = new Error(`ferrybridge ${why} before it was healthy:\n${output}`);
      err.output = output;
      throw err;
    }
    try {
      const { status, body } = await request(host, port, 'GET', '/_ferrybridge/health', 1000);
      if (status === 200 && JSON.parse(body).status === 'running') break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`ferrybridge was not healthy after ${timeoutMs} ms:\n${output}`);
    }
    await sleep(20);
  }
  return { child, exit, logs: () => output };
}

async function terminate(proc) {
  if (proc.child.exitCode !== null || proc.child.signalCode !== null) return;
  proc.child.kill('SIGTERM');
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), 10000);
  await proc.exit;
  clearTimeout(timer);
}

/**
 * Starts ferrybridge on `port` (a free one by default) and resolves once it is healthy.
 * @param {import('./index').FerrybridgeOptions} [options]
 * @returns {Promise<import('./index').Ferrybridge>}
 */
async function startFerrybridge(options = {}) {
  const host = options.host || '127.0.0.1';
  const binary = options.binary || binaryPath();
  const timeoutMs = options.timeoutMs ?? 10000;
  const args = [...(options.config ? ['--config', options.config] : []), ...(options.args || [])];
  const env = { ...process.env, ...(options.env || {}) };
  // The admin API (reset, state, recordings) needs a token: the caller's (--admin-token or
  // FERRYBRIDGE_ADMIN_TOKEN), else a fresh one handed to the server.
  const flagAt = args.indexOf('--admin-token');
  const inline = args.find((a) => typeof a === 'string' && a.startsWith('--admin-token='));
  const adminToken =
    (flagAt >= 0 ? args[flagAt + 1] : inline && inline.slice('--admin-token='.length)) ||
    env.FERRYBRIDGE_ADMIN_TOKEN ||
    crypto.randomBytes(16).toString('hex');
  env.FERRYBRIDGE_ADMIN_TOKEN = adminToken;
  let port = options.port;
  let proc;
  for (let attempt = 0; ; attempt += 1) {
    const chosen = port || (await freePort(host));
    try {
      proc = await launch(binary, host, chosen, args, env, timeoutMs, options.log);
      port = chosen;
      break;
    } catch (err) {
      // Another process took the free port between our probe and the bind: try another one.
      const raced = !options.port && attempt < 2 && /cannot listen/.test(err.output || '');
      if (!raced) throw err;
    }
  }
  const endpoint = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  let stopped = false;
  const onExit = () => proc.child.kill('SIGKILL');
  process.once('exit', onExit);

  const emulator = {
    endpoint,
    host,
    port,
    region: 'us-east-1',
    adminToken,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    get process() {
      return proc.child;
    },
    freshAccount() {
      const accountId = freshAccountId();
      return { accountId, credentials: { accessKeyId: accountId, secretAccessKey: 'test' } };
    },
    async reset() {
      if (stopped) throw new Error('ferrybridge is stopped');
      const { status, body } = await request(host, port, 'POST', '/_ferrybridge/reset', 5000, adminToken);
      if (status >= 200 && status < 300) return 'reset';
      if (status !== 404) throw new Error(`reset answered ${status}: ${body}`);
      // This emulator has no reset endpoint: a new process on the same port is a clean state.
      await terminate(proc);
      proc = await launch(binary, host, port, args, env, timeoutMs, options.log);
      return 'restarted';
    },
    logs() {
      return proc.logs();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      process.removeListener('exit', onExit);
      await terminate(proc);
    },
  };
  return emulator;
}

module.exports = { startFerrybridge, binaryPath };
