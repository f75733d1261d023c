// Jest and Vitest suites often load packages through require(): the CommonJS entry and the types.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

test('require("ferrybridge") gives startFerrybridge, with TypeScript declarations', () => {
  const ferrybridge = require('ferrybridge');
  assert.equal(typeof ferrybridge.startFerrybridge, 'function');
  assert.equal(typeof ferrybridge.binaryPath, 'function');
  const pkg = require('ferrybridge/package.json');
  const types = fs.readFileSync(path.join(path.dirname(require.resolve('ferrybridge/package.json')), pkg.types), 'utf8');
  assert.match(types, /export function startFerrybridge\(options\?: FerrybridgeOptions\): Promise<Ferrybridge>/);
  assert.match(types, /reset\(\): Promise</);
});
