import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { freePort } from './free-port';
import { tieChildToProcessLifetime } from './process-reaper';
import { sleep } from './wait-for';

export const POSTGRES_BIN_DIR = process.env.POSTGRES_BIN_DIR ?? '/usr/lib/postgresql/15/bin';

export interface PostgresClusterHandle {
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  readonly url: string;
  readonly port: number;
  readonly running: boolean;
  /** Fast shutdown (SIGINT): connections are cut, as when the database goes away under load. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data directory. */
  start(): Promise<void>;
  cleanup(): Promise<void>;
}

/**
 * A private PostgreSQL cluster in a temp directory, for tests that stop and restart the database (never the
 * shared one). PostgreSQL refuses to run as root, so as root it runs as the `postgres` system user.
 */
export async function startPostgresCluster(): Promise<PostgresClusterHandle> {
  const owner = process.getuid?.() === 0 ? postgresUser() : undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'pg-cluster-'));
  if (owner) chownSync(dataDir, owner.uid, owner.gid);
  const initdb = spawnSync(
    join(POSTGRES_BIN_DIR, 'initdb'),
    ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8'],
    { ...owner, encoding: 'utf8' },
  );
  if (initdb.status !== 0) {
    rmSync(dataDir, { recursive: true, force: true });
    throw new Error(`initdb failed: ${initdb.stderr || initdb.stdout || initdb.error?.message}`);
  }
  const port = await freePort();
  const cluster = new PostgresCluster(dataDir, port, owner);
  await cluster.start();
  return cluster;
}

function postgresUser(): { uid: number; gid: number } {
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

class PostgresCluster implements PostgresClusterHandle {
  private child?: ChildProcess;
  private exited?: Promise<void>;
  private untie?: () => void;

  constructor(
    private readonly dataDir: string,
    readonly port: number,
    private readonly owner: { uid: number; gid: number } | undefined,
  ) {}

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  async start(): Promise<void> {
    if (this.child) return;
    let output = '';
    const child = spawn(
      join(POSTGRES_BIN_DIR, 'postgres'),
      [
        '-D',
        this.dataDir,
        '-p',
        String(this.port),
        '-k',
        this.dataDir,
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'fsync=off',
      ],
      { ...this.owner, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    this.exited = new Promise((resolve) => child.on('exit', () => resolve()));
    this.child = child;
    this.untie = tieChildToProcessLifetime(child);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const client = new Client({ connectionString: this.url, connectionTimeoutMillis: 1000 });
      try {
        await client.connect();
        await client.end();
        return;
      } catch (error) {
        await client.end().catch(() => undefined);
        if (child.exitCode !== null || Date.now() > deadline) {
          await this.stop();
          throw new Error(`PostgreSQL did not start on ${this.port}: ${(error as Error).message}\n${output}`);
        }
        await sleep(100);
      }
    }
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill('SIGINT');
    await this.exited;
    this.untie?.();
    this.child = undefined;
  }

  async cleanup(): Promise<void> {
    await this.stop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
