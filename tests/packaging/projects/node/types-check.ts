// Compiled with tsc --noEmit --strict: the declarations describe the API the tests use.
import { startFerrybridge, binaryPath, type Ferrybridge, type FerrybridgeOptions } from 'ferrybridge';

async function suite(): Promise<void> {
  const options: FerrybridgeOptions = { port: 4566, config: 'ferrybridge.yaml', args: ['--log-level', 'debug'], env: { FERRYBRIDGE_LOG: 'debug' }, timeoutMs: 5000, log: 'inherit' };
  const fb: Ferrybridge = await startFerrybridge(options);
  const endpoint: string = fb.endpoint;
  const port: number = fb.port;
  const { accountId, credentials } = fb.freshAccount();
  const key: string = credentials.accessKeyId + accountId + fb.credentials.secretAccessKey;
  const how: 'reset' | 'restarted' = await fb.reset();
  const logs: string = fb.logs();
  const pid: number | undefined = fb.process.pid;
  const path: string = binaryPath();
  await fb.stop();
  void [endpoint, port, key, how, logs, pid, path];
}
void suite;
