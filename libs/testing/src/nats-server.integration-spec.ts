import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AckPolicy, connect, StorageType, type NatsConnection } from 'nats';
import { startNatsServer, waitFor, type NatsServerHandle } from '@lib/testing';

describe('startNatsServer', () => {
  let server: NatsServerHandle;
  let connection: NatsConnection | undefined;

  beforeAll(async () => {
    server = await startNatsServer();
  });

  afterEach(async () => {
    await connection?.close();
    connection = undefined;
  });

  afterAll(async () => {
    await server?.cleanup();
  });

  it('serves JetStream on a private port with its own store dir', async () => {
    expect(server.url).toBe(`nats://127.0.0.1:${server.port}`);
    expect(server.port).not.toBe(4222);
    expect(server.running).toBe(true);
    expect(await isProcessRunning(server.pid)).toBe(true);
    expect((await stat(server.storeDir)).isDirectory()).toBe(true);

    connection = await connect({ servers: server.url });
    const manager = await connection.jetstreamManager();
    await manager.streams.add({ name: 'ORDERS', subjects: ['orders.>'], storage: StorageType.File });
    await manager.consumers.add('ORDERS', { durable_name: 'billing', ack_policy: AckPolicy.Explicit });

    const jetstream = connection.jetstream();
    const ack = await jetstream.publish('orders.created', 'order-1');
    expect(ack.seq).toBe(1);

    const consumer = await jetstream.consumers.get('ORDERS', 'billing');
    const message = await consumer.next({ expires: 5_000 });
    expect(message?.subject).toBe('orders.created');
    expect(message?.string()).toBe('order-1');
    expect(await message?.ackAck()).toBe(true);
  });

  it('restarts on the same port and store dir, keeping streams and consumer progress', async () => {
    const { port, storeDir, pid: pidBefore } = server;

    await server.restart();

    expect(server.port).toBe(port);
    expect(server.storeDir).toBe(storeDir);
    expect(server.pid).not.toBe(pidBefore);
    expect(await isProcessRunning(pidBefore)).toBe(false);

    connection = await connect({ servers: server.url });
    const manager = await connection.jetstreamManager();
    const stream = await manager.streams.info('ORDERS');
    expect(stream.state.messages).toBe(1);
    const consumer = await manager.consumers.info('ORDERS', 'billing');
    expect(consumer.num_ack_pending).toBe(0);
    expect(consumer.delivered.stream_seq).toBe(1);
  });

  it('kill() ends the process abruptly, restart() brings it back', async () => {
    const killedPid = server.pid;
    await server.kill();
    expect(server.running).toBe(false);
    expect(await isProcessRunning(killedPid)).toBe(false);
    await expect(connect({ servers: server.url, reconnect: false, timeout: 500 })).rejects.toThrow();

    await server.restart();
    connection = await connect({ servers: server.url });
    const stream = await (await connection.jetstreamManager()).streams.info('ORDERS');
    expect(stream.state.messages).toBe(1);
  });
});

describe('startNatsServer options and failures', () => {
  it('starts without JetStream when asked', async () => {
    const server = await startNatsServer({ jetstream: false });
    const connection = await connect({ servers: server.url });
    try {
      await expect(connection.jetstreamManager()).rejects.toThrow(/503|not enabled|no responders/i);
    } finally {
      await connection.close();
      await server.cleanup();
    }
  });

  it('reports the server output when the server cannot start', async () => {
    const blocker = await occupyAnyPort();
    const { port } = blocker.address() as AddressInfo;
    try {
      const failure = startNatsServer({ port, startTimeoutMs: 5_000 });
      await expect(failure).rejects.toThrow(
        /Could not start nats-server :\d+: it exited early \(exit code 1\)/,
      );
      await expect(failure).rejects.toThrow(/--- nats-server output ---[\s\S]*address already in use/);
    } finally {
      blocker.close();
    }
  });

  it('does not mistake another nats-server already on the port for the one it started', async () => {
    const occupant = await startNatsServer({ jetstream: false });
    try {
      await expect(startNatsServer({ port: occupant.port, startTimeoutMs: 5_000 })).rejects.toThrow(
        /exited early[\s\S]*address already in use/,
      );
      expect(occupant.running).toBe(true);
    } finally {
      await occupant.cleanup();
    }
  });

  it('passes extra args through and keeps a caller-provided store dir on cleanup', async () => {
    const storeDir = await mkdtemp(join(tmpdir(), 'nats-caller-'));
    try {
      const server = await startNatsServer({ storeDir, args: ['--server_name', 'custom-name'] });
      try {
        const connection = await connect({ servers: server.url });
        expect(connection.info?.server_name).toBe('custom-name');
        await connection.close();
      } finally {
        await server.cleanup();
      }
      expect((await stat(join(storeDir, 'jetstream'))).isDirectory()).toBe(true);
    } finally {
      await rm(storeDir, { recursive: true, force: true });
    }
  });
});

describe('process lifetime', () => {
  // Runs the helper in a separate Node process, the way a jest worker would hold it.
  interface ServerInChildNode {
    owner: ReturnType<typeof spawn>;
    natsPid: number;
    storeDir: string;
  }

  const startServerInChildNode = (): Promise<ServerInChildNode> => {
    const script = `
      const { startNatsServer } = require(${JSON.stringify(join(__dirname, 'nats-server.ts'))});
      startNatsServer().then((server) => {
        console.log(JSON.stringify({ natsPid: server.pid, storeDir: server.storeDir }));
      });
      process.on('message', () => undefined);
    `;
    const owner = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', script], {
      cwd: join(__dirname, '../../..'),
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    });
    return new Promise((resolve, reject) => {
      let output = '';
      owner.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (!output.includes('\n')) return;
        const started = JSON.parse(output) as Omit<ServerInChildNode, 'owner'>;
        resolve({ owner, ...started });
      });
      owner.once('exit', (code) =>
        reject(new Error(`helper process exited (${code}) before reporting a pid`)),
      );
    });
  };

  it('takes the server and its temp store dir down when the owner exits or is SIGKILLed', async () => {
    const [exiting, killed] = await Promise.all([startServerInChildNode(), startServerInChildNode()]);
    expect(await isProcessRunning(exiting.natsPid)).toBe(true);
    expect(await isProcessRunning(killed.natsPid)).toBe(true);

    // The IPC channel is the only thing keeping the first owner alive: closing it lets it exit on its own.
    exiting.owner.disconnect();
    killed.owner.kill('SIGKILL');

    await waitFor(async () => !(await isProcessRunning(exiting.natsPid)), {
      timeoutMs: 5_000,
      description: 'nats-server of the exited owner to die',
    });
    await waitFor(async () => !(await isProcessRunning(killed.natsPid)), {
      timeoutMs: 5_000,
      description: 'nats-server of the SIGKILLed owner to die',
    });
    for (const { storeDir } of [exiting, killed]) {
      await waitFor(async () => !(await pathExists(storeDir)), {
        timeoutMs: 5_000,
        description: `orphaned store dir ${storeDir} to be removed`,
      });
    }
  });
});

/** Zombies count as gone: in containers without an init that reaps, orphans stay defunct. */
async function isProcessRunning(pid: number): Promise<boolean> {
  try {
    const processStatus = await readFile(`/proc/${pid}/stat`, 'utf8');
    const state = processStatus.slice(processStatus.lastIndexOf(')') + 2, processStatus.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

function pathExists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

function occupyAnyPort(): Promise<Server> {
  return new Promise((resolve, reject) => {
    const blocker = createServer();
    blocker.once('error', reject);
    blocker.listen(0, '127.0.0.1', () => resolve(blocker));
  });
}
