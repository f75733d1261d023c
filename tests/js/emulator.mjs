// Starts the ferrybridge release binary on a free port for one test file, as a user would.
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import path from "node:path";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const binary = process.env.FERRYBRIDGE_BIN ?? path.join(root, "target/release/ferrybridge");

async function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** The binary the tests run. */
export const ferrybridgeBinary = binary;

/**
 * Starts the emulator with extra command-line flags (given as arguments or as one array);
 * resolves to `{ endpoint, port, stop }` once its health endpoint answers.
 */
export async function startEmulator(...flags) {
  const extraArgs = flags.flat();
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const server = spawn(binary, ["--port", String(port), "--log-level", "warn", ...extraArgs], {
    stdio: "inherit",
  });
  for (let i = 0; i < 500; i++) {
    try {
      const res = await fetch(`${endpoint}/_ferrybridge/health`);
      if (res.ok) break;
    } catch {
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  return { endpoint, port, stop: () => server.kill("SIGTERM") };
}

/** Credentials and region every client of the tests uses. */
export const clientConfig = (endpoint) => ({
  endpoint,
  region: "us-east-1",
  credentials: { accessKeyId: "test", secretAccessKey: "test" },
});
