import { connect, StorageType, type NatsConnection } from 'nats';
import { startNatsCluster, waitFor, type NatsClusterHandle } from '@lib/testing';

describe('startNatsCluster', () => {
  let cluster: NatsClusterHandle;
  let connection: NatsConnection;

  beforeAll(async () => {
    cluster = await startNatsCluster(3);
    // Short reconnect wait: the last test kills a member this client may be connected to.
    connection = await connect({ servers: cluster.urls, reconnectTimeWait: 100 });
  });

  afterAll(async () => {
    await connection?.close();
    await cluster?.cleanup();
  });

  it('starts three routed members with distinct ports and store dirs', () => {
    expect(cluster.urls).toHaveLength(3);
    expect(new Set(cluster.servers.map((server) => server.port)).size).toBe(3);
    expect(new Set(cluster.servers.map((server) => server.storeDir)).size).toBe(3);
    expect(cluster.servers.map((server) => server.url)).toEqual(cluster.urls);
  });

  it('creates a stream replicated to all three members', async () => {
    const manager = await connection.jetstreamManager();

    const stream = await manager.streams.add({
      name: 'DECISIONS',
      subjects: ['decisions.>'],
      storage: StorageType.File,
      num_replicas: 3,
    });

    expect(stream.config.num_replicas).toBe(3);
    expect(stream.cluster?.leader).toBeTruthy();
    expect(stream.cluster?.replicas).toHaveLength(2);
    const ack = await connection.jetstream().publish('decisions.made', 'poll-closed');
    expect(ack.stream).toBe('DECISIONS');
  });

  it('keeps the replicated stream when a member is killed and restarted', async () => {
    const victim = cluster.servers[2];
    await victim.kill();
    await victim.restart();
    await cluster.waitForJetStream();

    // The meta leader answering does not mean the stream has re-elected its own leader yet, which
    // takes a few seconds when the killed member led it.
    const manager = await connection.jetstreamManager({ timeout: 1_000 });
    const info = await waitFor(() => manager.streams.info('DECISIONS'), {
      timeoutMs: 20_000,
      description: 'the DECISIONS stream to answer after the restart',
    });
    expect(info.state.messages).toBe(1);
  });

  it('refuses a cluster too small for clustered JetStream', async () => {
    await expect(startNatsCluster(1)).rejects.toThrow('Cluster size must be an integer >= 2, got 1');
  });
});
