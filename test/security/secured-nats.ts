import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { connect, type ConnectionOptions, type NatsConnection } from 'nats';
import { freePort, NATS_SERVER_BINARY, waitFor } from '@lib/testing';
import { natsUsers, PasswordEnv, type NatsUser } from '../../scripts/nats-permissions';

const AuthConf = resolve(__dirname, '../../deploy/nats/auth.conf');

export interface SecuredNats {
  url: string;
  users: NatsUser[];
  passwords: Record<string, string>;
  /** The server's log so far: permission violations are logged there with the user's name. */
  log(): string;
  connectAs(user: string, options?: Partial<ConnectionOptions>): Promise<NatsConnection>;
  stop(): Promise<void>;
}

/**
 * A private nats-server running the checked-in deploy/nats/auth.conf (not a copy): a random password per
 * user in its environment, JetStream in a temp dir. libs/testing's startNatsServer connects anonymously to
 * check readiness, which this server refuses, so it is started here.
 */
export async function startSecuredNats(): Promise<SecuredNats> {
  const dir = await mkdtemp(join(tmpdir(), 'nats-secured-'));
  const port = await freePort();
  const users = natsUsers();
  // nats-server parses a variable's value as a config token: one starting with a digit (`0e12…`) is a
  // number and fails, so every password starts with a letter.
  const passwords = Object.fromEntries(users.map((u) => [u.user, `n${randomBytes(12).toString('hex')}`]));
  const conf = join(dir, 'nats.conf');
  await writeFile(
    conf,
    `host: 127.0.0.1\nport: ${port}\njetstream { store_dir: ${JSON.stringify(join(dir, 'js'))} }\ninclude ${JSON.stringify(relative(dir, AuthConf))}\n`,
    // nats-server resolves an include against the including file's folder, and refuses absolute paths.
  );
  const env = { ...process.env };
  for (const u of users) env[u.passwordEnv] = passwords[u.user];
  // The server may hold a bcrypt hash instead of the password: admin's is the OpenBSD test vector of "U*U".
  env[PasswordEnv('admin')] = '$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW';
  passwords.admin = 'U*U';
  let output = '';
  const child: ChildProcess = spawn(NATS_SERVER_BINARY, ['-c', conf], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((done) => child.once('close', () => done()));
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  const url = `nats://127.0.0.1:${port}`;
  const connectAs = (user: string, options: Partial<ConnectionOptions> = {}) =>
    connect({ servers: url, user, pass: passwords[user], reconnect: false, ...options });
  const stop = async () => {
    child.kill('SIGTERM');
    await exited;
    process.removeListener('exit', kill);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`nats-server exited: ${output}`);
        if (!output.includes('Server is ready')) return false;
        const nc = await connectAs('admin', { timeout: 1000 });
        await nc.jetstreamManager({ timeout: 1000 }).finally(() => nc.close());
        return true;
      },
      { timeoutMs: 20_000, description: `secured nats-server: ${output}` },
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, users, passwords, log: () => output, connectAs, stop };
}
