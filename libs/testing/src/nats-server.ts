import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'nats';
import { freePort } from './free-port';
import { tieChildToProcessLifetime } from './process-reaper';
import { waitFor } from './wait-for';

/** Overridable so the helpers also work where nats-server is installed elsewhere. */
export const NATS_SERVER_BINARY = process.env.NATS_SERVER_BIN ?? '/usr/sbin/nats-server';

const DEFAULT_START_TIMEOUT_MS = 20_000;
const STOP_GRACE_MS = 10_000;
const OUTPUT_TAIL_CHARS = 64 * 1024;
const SERVER_READY_LOG_LINE = 'Server is ready';

export interface NatsServerOptions {
  /** Start with `-js`; defaults to true. */
  jetstream?: boolean;
  /** Client port; a free one is picked when omitted. */
  port?: number;
  /**
   * JetStream store directory. When omitted a fresh temp dir is created and `cleanup()` removes it;
   * a directory passed in belongs to the caller and is left alone.
   */
  storeDir?: string;
  /**
   * Extra command line arguments appended after the generated ones. Keep the log on stdout/stderr
   * (no `-l`): readiness detection and error reports read it.
   */
  args?: string[];
  /** How long to wait for the server to become ready; defaults to 20 s. */
  startTimeoutMs?: number;
}

export interface NatsServerHandle {
  /** nats://127.0.0.1:<port> */
  readonly url: string;
  readonly port: number;
  readonly storeDir: string;
  /** Pid of the current process; changes on restart. */
  readonly pid: number;
  /** True while the server process is alive. */
  readonly running: boolean;
  /** SIGTERM and wait for the process to exit (SIGKILL if it hangs). No-op when already stopped. */
  stop(): Promise<void>;
  /** SIGKILL and wait for the process to exit, to simulate a crash. No-op when already stopped. */
  kill(): Promise<void>;
  /** Stops the server if running and starts it again on the same port and store dir. */
  restart(): Promise<void>;
  /** Stops the server and removes the store dir if this helper created it. */
  cleanup(): Promise<void>;
}

/** When a freshly spawned server counts as started. */
export type NatsReadiness =
  /** JetStream answers an account info request through this server. */
  | 'jetstream'
  /** The server accepts client connections (a lone cluster member cannot serve JetStream yet). */
  | 'accepting-connections';

export interface NatsServerProcessConfig {
  port: number;
  storeDir: string;
  ownsStoreDir: boolean;
  args: string[];
  readiness: NatsReadiness;
  startTimeoutMs: number;
  /** Used in error messages to tell cluster members apart. */
  label: string;
}

interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
  spawnError?: Error;
}

interface RunningProcess {
  child: ChildProcess;
  exited: Promise<ExitStatus>;
  output: OutputTail;
}

/**
 * Starts a real nats-server on 127.0.0.1 and resolves once it is ready (JetStream included unless
 * `jetstream: false`).
 */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServerHandle> {
  const jetstream = options.jetstream ?? true;
  const port = options.port ?? (await freePort());
  const storeDir = options.storeDir ?? (await createStoreDir());
  const args = ['-a', '127.0.0.1', '-p', String(port)];
  if (jetstream) args.push('-js', '-sd', storeDir);
  args.push(...(options.args ?? []));

  const server = new NatsServerProcess({
    port,
    storeDir,
    ownsStoreDir: options.storeDir === undefined,
    args,
    readiness: jetstream ? 'jetstream' : 'accepting-connections',
    startTimeoutMs: options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS,
    label: `nats-server :${port}`,
  });
  await server.startOrCleanup();
  return server;
}

export function createStoreDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'nats-store-'));
}

export class NatsServerProcess implements NatsServerHandle {
  readonly url: string;
  private current: RunningProcess | undefined;
  private lastPid = -1;

  constructor(private readonly config: NatsServerProcessConfig) {
    this.url = `nats://127.0.0.1:${config.port}`;
  }

  get port(): number {
    return this.config.port;
  }

  get storeDir(): string {
    return this.config.storeDir;
  }

  get pid(): number {
    return this.lastPid;
  }

  get running(): boolean {
    return this.current !== undefined;
  }

  async start(): Promise<void> {
    if (this.current) throw new Error(`${this.config.label} is already running (pid ${this.lastPid})`);

    const output = new OutputTail(OUTPUT_TAIL_CHARS);
    const child = spawn(NATS_SERVER_BINARY, this.config.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (chunk: Buffer) => output.append(chunk));
    child.stderr?.on('data', (chunk: Buffer) => output.append(chunk));
    const untie = tieChildToProcessLifetime(child, {
      removeWhenOrphaned: this.config.ownsStoreDir ? this.config.storeDir : undefined,
    });
    const exited = waitForExit(child).then((status) => {
      untie();
      if (this.current?.child === child) this.current = undefined;
      return status;
    });
    const running: RunningProcess = { child, exited, output };
    this.current = running;
    if (child.pid !== undefined) this.lastPid = child.pid;

    const stopWaiting = new AbortController();
    const diedEarly = exited.then((status) => {
      throw new Error(`it exited early (${describeExit(status)})`);
    });
    // Only meaningful while starting; a later exit shows up as `running === false` instead.
    diedEarly.catch(() => undefined);
    try {
      await Promise.race([this.waitUntilReady(output, stopWaiting.signal), diedEarly]);
    } catch (error) {
      stopWaiting.abort();
      await this.terminate(running, 'SIGKILL');
      throw new Error(
        `Could not start ${this.config.label}: ${errorMessage(error)}\n` +
          `command: ${NATS_SERVER_BINARY} ${this.config.args.join(' ')}\n` +
          `--- nats-server output ---\n${output.text() || '(none)'}`,
        { cause: error },
      );
    }
  }

  /** Starts, removing a store dir we created when the first start fails so failed runs leave no litter. */
  async startOrCleanup(): Promise<void> {
    try {
      await this.start();
    } catch (error) {
      await this.cleanup();
      throw error;
    }
  }

  stop(): Promise<void> {
    return this.current ? this.terminate(this.current, 'SIGTERM') : Promise.resolve();
  }

  kill(): Promise<void> {
    return this.current ? this.terminate(this.current, 'SIGKILL') : Promise.resolve();
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async cleanup(): Promise<void> {
    await this.stop();
    if (this.config.ownsStoreDir) await rm(this.config.storeDir, { recursive: true, force: true });
  }

  private async terminate(target: RunningProcess, signal: NodeJS.Signals): Promise<void> {
    target.child.kill(signal);
    // The child is unref'ed, so this timer is what keeps a plain Node script alive until the exit.
    let graceTimer: NodeJS.Timeout | undefined;
    const exitedInTime = await Promise.race([
      target.exited.then(() => true),
      new Promise<false>((resolve) => (graceTimer = setTimeout(resolve, STOP_GRACE_MS, false))),
    ]);
    clearTimeout(graceTimer);
    if (!exitedInTime) {
      target.child.kill('SIGKILL');
      await target.exited;
    }
  }

  private waitUntilReady(output: OutputTail, signal: AbortSignal): Promise<true> {
    const checkJetStream = this.config.readiness === 'jetstream';
    return waitFor(
      async () => {
        // Until our process logs this it has not bound the port, and whatever answers there is
        // someone else's server (e.g. the shared one when a busy port was passed in).
        if (!output.includes(SERVER_READY_LOG_LINE)) return false;
        const connection = await connect({
          servers: this.url,
          reconnect: false,
          timeout: 1_000,
          ignoreClusterUpdates: true,
        });
        try {
          // jetstreamManager() already asks for the account info, i.e. JetStream answered.
          if (checkJetStream) await connection.jetstreamManager({ timeout: 1_000 });
          return true as const;
        } finally {
          await connection.close();
        }
      },
      {
        timeoutMs: this.config.startTimeoutMs,
        intervalMs: 50,
        signal,
        description: checkJetStream ? `JetStream on ${this.url}` : `connections on ${this.url}`,
      },
    );
  }
}

function waitForExit(child: ChildProcess): Promise<ExitStatus> {
  return new Promise((resolve) => {
    // 'close' rather than 'exit': it also waits for the output pipes, so error reports are complete.
    child.once('close', (code, signal) => resolve({ code, signal }));
    child.on('error', (spawnError) => {
      // Without a pid the process never started and no 'close' will follow.
      if (child.pid === undefined) resolve({ code: null, signal: null, spawnError });
    });
  });
}

function describeExit(status: ExitStatus): string {
  if (status.spawnError) return `could not spawn: ${status.spawnError.message}`;
  return status.signal ? `killed by ${status.signal}` : `exit code ${status.code}`;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Keeps the end of the server log: the lines explaining a failure are the last ones. */
class OutputTail {
  private buffered = '';

  constructor(private readonly maxChars: number) {}

  append(chunk: Buffer): void {
    this.buffered += chunk.toString('utf8');
    if (this.buffered.length > this.maxChars * 2) this.buffered = this.buffered.slice(-this.maxChars);
  }

  includes(text: string): boolean {
    return this.buffered.includes(text);
  }

  text(): string {
    return this.buffered.slice(-this.maxChars).trimEnd();
  }
}
