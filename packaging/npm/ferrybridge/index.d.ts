import type { ChildProcess } from 'node:child_process';

export interface FerrybridgeOptions {
  /** Port to listen on; a free one when omitted. */
  port?: number;
  /** Address to listen on (default 127.0.0.1). */
  host?: string;
  /** A start-up config file (passed as --config). */
  config?: string;
  /** Further flags of the binary, e.g. ['--log-level', 'debug']. */
  args?: string[];
  /** Environment of the process (added to process.env), e.g. { FERRYBRIDGE_LOG: 'debug' }. */
  env?: Record<string, string | undefined>;
  /** Another binary than the platform package's (also FERRYBRIDGE_BIN). */
  binary?: string;
  /** How long to wait for the emulator to be healthy (default 10000). */
  timeoutMs?: number;
  /** 'inherit' copies the emulator's output to stderr; by default it is kept for logs(). */
  log?: 'pipe' | 'inherit';
}

export interface FerrybridgeCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface Ferrybridge {
  /** Endpoint URL for AWS SDK clients, e.g. http://127.0.0.1:40123. */
  readonly endpoint: string;
  readonly host: string;
  readonly port: number;
  /** The region the emulator assumes for unsigned requests: us-east-1. */
  readonly region: string;
  /**
   * The token of the emulator's admin API (reset, state, recordings), sent as
   * `Authorization: Bearer <token>`.
   */
  readonly adminToken: string;
  /** Test credentials (account 000000000000). */
  readonly credentials: FerrybridgeCredentials;
  /** The running process. */
  readonly process: ChildProcess;
  /** A new, empty account: a 12-digit access key id is that account on the emulator. */
  freshAccount(): { accountId: string; credentials: FerrybridgeCredentials };
  /**
   * Forgets all state: POST /_ferrybridge/reset ('reset'), or, on an emulator without that
   * endpoint, a new process on the same port ('restarted').
   */
  reset(): Promise<'reset' | 'restarted'>;
  /** What the emulator printed (the last 256 KB). */
  logs(): string;
  /** SIGTERM, then SIGKILL after 10 s; resolves once the process has exited. */
  stop(): Promise<void>;
}

/** Starts ferrybridge and resolves once its health endpoint answers. */
export function startFerrybridge(options?: FerrybridgeOptions): Promise<Ferrybridge>;

/** Path of the binary for this platform (FERRYBRIDGE_BIN when set). */
export function binaryPath(): string;
