import { connect, headers, NatsError, type NatsConnection } from 'nats';
import { startNatsServer, type NatsServerHandle } from '@lib/testing';
import { StreamAcks } from '@lib/jetstream';

/** What `js.publish` answered, or how it failed, in the shape compared below. */
async function outcome(publish: () => Promise<{ stream: string; seq: number; duplicate: boolean }>) {
  try {
    const { stream, seq, duplicate } = await publish();
    return { stream, seq, duplicate };
  } catch (error) {
    const { code, message, api_error } = error as NatsError;
    return { failed: true, name: (error as Error).name, code, message, api_error };
  }
}

describe('stream acks routed over one inbox subscription', () => {
  let nats: NatsServerHandle;
  let nc: NatsConnection;

  beforeAll(async () => {
    nats = await startNatsServer();
    nc = await connect({ servers: nats.url, noAsyncTraces: true });
    const jsm = await nc.jetstreamManager();
    await jsm.streams.add({ name: 'ACKS', subjects: ['acks.>'], duplicate_window: 60_000_000_000 });
    await jsm.streams.add({ name: 'OTHER', subjects: ['other.>'] });
  });

  afterAll(async () => {
    await nc?.close();
    await nats?.cleanup();
  });

  it('answers every case exactly as js.publish does: stored, duplicate, no stream, a JetStream error', async () => {
    const js = nc.jetstream();
    const acks = StreamAcks.of(js)!;
    expect(acks).toBeDefined();
    const withId = (id: string, expectStream?: string) => {
      const h = headers();
      h.set('Nats-Msg-Id', id);
      if (expectStream) h.set('Nats-Expected-Stream', expectStream);
      return h;
    };
    // Each path has its own ids, so one path's message is never the other's duplicate.
    const cases: [string, string, (path: string) => ReturnType<typeof withId> | undefined][] = [
      ['stored', 'acks.a', () => undefined],
      ['first of an id', 'acks.b', (path) => withId(`one-${path}`)],
      ['the same id again', 'acks.b', (path) => withId(`one-${path}`)],
      ['no stream for the subject', 'nowhere.a', () => undefined],
      ['the wrong expected stream', 'acks.c', (path) => withId(`two-${path}`, 'OTHER')],
    ];
    for (const [what, subject, header] of cases) {
      // The same message through both paths: each stores it (or fails) the same way, one sequence apart.
      const theirs = await outcome(() => js.publish(subject, 'x', { headers: header('js') }));
      const ours = await outcome(() => acks.publish(subject, 'x', header('ours')));
      if ('seq' in ours && 'seq' in theirs) (ours as { seq: number }).seq -= 1;
      expect({ what, ...ours }).toEqual({ what, ...theirs });
    }
    expect(acks.inFlight).toBe(0);
  });

  it('keeps a thousand publishes in flight and matches each ack to its message', async () => {
    const acks = StreamAcks.of(nc.jetstream())!;
    const sent = await Promise.all(
      Array.from({ length: 1000 }, (_, i) => acks.publish('acks.many', JSON.stringify({ i }))),
    );
    const jsm = await nc.jetstreamManager();
    for (const i of [0, 417, 999]) {
      const stored = await jsm.streams.getMessage('ACKS', { seq: sent[i].seq });
      expect(stored.json<{ i: number }>()).toEqual({ i });
    }
    expect(new Set(sent.map((ack) => ack.seq)).size).toBe(1000);
  });

  it('times out when nothing answers, and fails at once on a closed connection', async () => {
    // A plain subscriber on the subject: the server sees a responder, so no 503; it never answers.
    const silent = nc.subscribe('silent.x', { callback: () => undefined });
    await nc.flush();
    const acks = StreamAcks.of(nc.jetstream())!;
    const startedAt = Date.now();
    await expect(acks.publish('silent.x', 'x', undefined, 300)).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(300);
    expect(Date.now() - startedAt).toBeLessThan(1_000);
    silent.unsubscribe();

    const other = await connect({ servers: nats.url, noAsyncTraces: true });
    const closing = StreamAcks.of(other.jetstream())!;
    const waiting = closing.publish('silent.y', 'x', undefined, 60_000);
    other.subscribe('silent.y', { callback: () => undefined });
    await other.close();
    await expect(waiting).rejects.toMatchObject({ code: 'CONNECTION_CLOSED' });
    await expect(closing.publish('acks.a', 'x')).rejects.toMatchObject({ code: 'CONNECTION_CLOSED' });
  });

  it('receives acks on the inbox prefix the connection was given', async () => {
    const custom = await connect({ servers: nats.url, inboxPrefix: '_INBOX_publisher' });
    try {
      const seen: string[] = [];
      custom.subscribe('_INBOX_publisher.>', { callback: (_, m) => seen.push(m.subject) });
      const ack = await StreamAcks.of(custom.jetstream())!.publish('acks.prefixed', 'x');
      expect(ack.stream).toBe('ACKS');
      expect(seen.some((subject) => subject.startsWith('_INBOX_publisher.'))).toBe(true);
    } finally {
      await custom.close();
    }
  });
});
