#!/usr/bin/env node
// `npx ferrybridge [flags]`: runs the ferrybridge binary of this platform with these arguments,
// passing on SIGINT/SIGTERM and its exit status.
'use strict';
const { spawn } = require('node:child_process');
const { binaryPath } = require('../index.js');

let binary;
try {
  binary = binaryPath();
} catch (err) {
  console.error(`ferrybridge: ${err.message}`);
  process.exit(1);
}
const child = spawn(binary, process.argv.slice(2), { stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => child.kill(signal));
}
child.on('error', (err) => {
  console.error(`ferrybridge: cannot run ${binary}: ${err.message}`);
  process.exit(1);
});
child.on('exit', (code, signal) => {
  process.exit(code ?? (signal ? 128 + (require('node:os').constants.signals[signal] || 0) : 1));
});
