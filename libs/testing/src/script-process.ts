import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '../../..');

export interface ScriptProcess {
  child: ChildProcess;
  /** Resolves with the exit code once the process and its output streams are closed. */
  exited: Promise<number | null>;
  /** Everything the process wrote to stdout and stderr so far. */
  output: () => string;
}

export interface ScriptServers {
  natsUrl: string;
  databaseUrl: string;
}

/**
 * Runs a TypeScript script of this repository in its own process with ts-node, against the given servers,
 * on a free HTTP port. The child is killed when the test process exits, whatever happens to the test.
 */
export function spawnScript(
  script: string,
  servers: ScriptServers,
  env: Record<string, string> = {},
): ScriptProcess {
  const child = spawn(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', script],
    {
      cwd: root,
      env: {
        ...process.env,
        TS_NODE_PROJECT: join(root, 'tsconfig.json'),
        NATS_URL: servers.natsUrl,
        DATABASE_URL: servers.databaseUrl,
        HTTP_PORT: '0',
        HTTP_HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  process.once('exit', () => child.kill('SIGKILL'));
  return { child, exited, output: () => output };
}

export interface CliRun {
  /** The exit code (-1 when killed by a signal or the timeout). */
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the operator CLI exactly as `npm run cli` does (tools/cli/main.ts under ts-node), with `env` on top of
 * this process's environment: point it at private servers with NATS_URL / DATABASE_URL.
 */
export function runCli(args: string[], env: Record<string, string>, timeoutMs = 60_000): Promise<CliRun> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [
        '-r',
        'ts-node/register/transpile-only',
        '-r',
        'tsconfig-paths/register',
        'tools/cli/main.ts',
        ...args,
      ],
      {
        cwd: root,
        env: { ...process.env, TS_NODE_PROJECT: join(root, 'tsconfig.json'), ...env },
        timeout: timeoutMs,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}
