import { connect, type NatsConnection } from 'nats';
import pino from 'pino';
import type { DataSource } from 'typeorm';
import { Contracts, PostToChatbot, Subjects } from '@lib/contracts';
import { OutboxRelay, type RunningService } from '@lib/jetstream';
import {
  createMigratedTestDatabase,
  startNatsServer,
  startServiceUnderTest,
  waitFor,
  type NatsServerHandle,
  type TestDatabase,
  openTestDataSource,
} from '@lib/testing';
import { ChatbotFanout } from '../../src/chatbots/chatbot-fanout';
import { NotifierConfigSchema } from '../../src/config';
import { NotifierModule } from '../../src/notifier.module';
import { ChatbotWorld } from './chatbot-world';
import { FakeChatServer } from './fake-chat-server';

// The production backoff waits 15 s before the first retry; the retry itself is what is tested here.
const ContractsWithQuickRetries = {
  ...Contracts,
  [Subjects.PostToChatbot]: {
    ...PostToChatbot,
    options: { ...PostToChatbot.options, backoff: { type: 'fixed' as const, delayMs: 300 } },
  },
};

describe('notifier chatbots end to end (real NATS and PostgreSQL, a fake chat server)', () => {
  let nats: NatsServerHandle;
  let database: TestDatabase;
  let db: DataSource;
  let client: NatsConnection;
  let relay: OutboxRelay;
  let notifier: RunningService;
  let chat: FakeChatServer;
  let world: ChatbotWorld;
  let fanout: ChatbotFanout;
  let hook = 0;

  beforeAll(async () => {
    [nats, database, chat] = await Promise.all([
      startNatsServer(),
      createMigratedTestDatabase(),
      new FakeChatServer().start(),
    ]);
    db = await openTestDataSource(database.url);
    world = new ChatbotWorld(db);
    notifier = await startServiceUnderTest({
      name: 'notifier',
      module: NotifierModule,
      configSchema: NotifierConfigSchema,
      natsUrl: nats.url,
      databaseUrl: database.url,
      contracts: ContractsWithQuickRetries,
      env: {
        SMTP_URL: 'smtp://127.0.0.1:1',
        APP_URL: 'https://loomio.test/',
        OUTBOUND_ALLOW_CIDRS: '127.0.0.1/32',
      },
    });
    fanout = notifier.app.get(ChatbotFanout);
    client = await connect({ servers: nats.url });
    relay = new OutboxRelay(db, client.jetstream(), database.url, pino({ level: 'silent' }));
    await relay.start();
  });

  afterAll(async () => {
    await relay?.stop();
    await notifier?.stop();
    await client?.close();
    await chat?.stop();
    await db?.destroy();
    await nats?.cleanup();
    await database?.drop();
  });

  async function thread(groupId: number) {
    const authorId = await world.user('Carol Chen');
    const discussionId = await world.discussion(groupId, authorId, 'Garden rota');
    const eventId = await world.event({
      kind: 'new_discussion',
      eventableType: 'Discussion',
      eventableId: discussionId,
      userId: authorId,
      discussionId,
    });
    return { eventId };
  }

  function hookPath(): string {
    return `/service-hooks/${++hook}`;
  }

  it('fans out to exactly the enabled chatbots of the group subscribed to the kind or named, and posts to each', async () => {
    const groupId = await world.group();
    const otherGroupId = await world.group('Other group');
    const paths = Object.fromEntries(
      ['subscribed', 'otherKind', 'named', 'disabled', 'discarded', 'otherGroup'].map((name) => [
        name,
        hookPath(),
      ]),
    );
    const ids = {
      subscribed: await world.chatbot(groupId, {
        kind: 'slack',
        url: chat.url(paths.subscribed),
        eventKinds: ['new_discussion'],
      }),
      otherKind: await world.chatbot(groupId, {
        kind: 'json',
        url: chat.url(paths.otherKind),
        eventKinds: ['poll_created'],
      }),
      named: await world.chatbot(groupId, { kind: 'discord', url: chat.url(paths.named), eventKinds: [] }),
      disabled: await world.chatbot(groupId, {
        kind: 'json',
        url: chat.url(paths.disabled),
        eventKinds: ['new_discussion'],
        disabled: true,
      }),
      discarded: await world.chatbot(groupId, {
        kind: 'json',
        url: chat.url(paths.discarded),
        eventKinds: ['new_discussion'],
        discarded: true,
      }),
      otherGroup: await world.chatbot(otherGroupId, {
        kind: 'json',
        url: chat.url(paths.otherGroup),
        eventKinds: ['new_discussion'],
      }),
    };
    const { eventId } = await thread(groupId);

    const activity = {
      eventId,
      kind: 'new_discussion',
      groupId,
      recipientChatbotIds: [ids.named, ids.disabled, ids.otherGroup],
    };
    // Rolled back with its transaction: no job is left behind.
    await expect(
      db.transaction(async (manager) => {
        expect(await fanout.enqueue(manager, activity)).toBe(2);
        throw new Error('the caller failed');
      }),
    ).rejects.toThrow('the caller failed');
    expect(
      await db.query(`SELECT 1 FROM outbox_messages WHERE subject = $1`, [Subjects.PostToChatbot]),
    ).toEqual([]);

    const enqueued = await db.transaction((manager) => fanout.enqueue(manager, activity));
    expect(enqueued).toBe(2);
    await waitFor(
      async () =>
        (await world.deliveries(ids.subscribed)).length === 1 &&
        (await world.deliveries(ids.named)).length === 1,
      {
        timeoutMs: 10_000,
        description: 'both chatbots posted',
      },
    );
    const reached = Object.entries(paths)
      .filter(([, path]) => chat.postsTo(path).length > 0)
      .map(([name]) => name);
    expect(reached.sort()).toEqual(['named', 'subscribed']);
    expect((chat.postsTo(paths.subscribed)[0].json as { blocks: unknown[] }).blocks).toHaveLength(2);
    expect(await fanout.enqueue(db.manager, { eventId, kind: 'new_discussion', groupId: null })).toBe(0);
  });

  it('a 500 then 200 re-posts to the failing chatbot only', async () => {
    const groupId = await world.group();
    const flaky = hookPath();
    const steady = hookPath();
    chat.script(flaky, { status: 500, body: 'oops' }, { status: 200 });
    const flakyId = await world.chatbot(groupId, {
      kind: 'json',
      url: chat.url(flaky),
      eventKinds: ['new_discussion'],
    });
    const steadyId = await world.chatbot(groupId, {
      kind: 'json',
      url: chat.url(steady),
      eventKinds: ['new_discussion'],
    });
    const { eventId } = await thread(groupId);

    await db.transaction((manager) => fanout.enqueue(manager, { eventId, kind: 'new_discussion', groupId }));
    await waitFor(async () => (await world.deliveries(flakyId)).length === 1, {
      timeoutMs: 10_000,
      description: 'the flaky chatbot delivered after its retry',
    });
    const [failed, retried] = chat.postsTo(flaky);
    expect(retried.raw).toBe(failed.raw);
    expect(chat.postsTo(steady)).toHaveLength(1);
    expect(await world.deliveries(steadyId)).toHaveLength(1);
    expect(await world.chatbotState(flakyId)).toMatchObject({
      failure_count: 0,
      last_error: 'HTTP 500: oops',
    });
  });

  it('a 429 holds the webhook for Retry-After, then posts, without counting a failure', async () => {
    const groupId = await world.group();
    const path = hookPath();
    chat.script(path, { status: 429, headers: { 'retry-after': '1' } }, { status: 200 });
    const chatbotId = await world.chatbot(groupId, {
      kind: 'slack',
      url: chat.url(path),
      eventKinds: ['new_discussion'],
    });
    const { eventId } = await thread(groupId);
    await db.transaction((manager) => fanout.enqueue(manager, { eventId, kind: 'new_discussion', groupId }));
    await waitFor(async () => (await world.deliveries(chatbotId)).length === 1, {
      timeoutMs: 10_000,
      description: 'posted after the 429',
    });
    const [limited, accepted] = chat.postsTo(path);
    expect(accepted.receivedAt - limited.receivedAt).toBeGreaterThanOrEqual(900);
    expect(accepted.raw).toBe(limited.raw);
    expect((await world.chatbotState(chatbotId)).failure_count).toBe(0);
  });

  it('posts to one webhook at most once a second', async () => {
    const groupId = await world.group();
    const path = hookPath();
    const chatbotId = await world.chatbot(groupId, {
      kind: 'json',
      url: chat.url(path),
      eventKinds: ['new_discussion'],
    });
    const events = [await thread(groupId), await thread(groupId), await thread(groupId)];
    await db.transaction(async (manager) => {
      for (const { eventId } of events)
        await fanout.enqueue(manager, { eventId, kind: 'new_discussion', groupId });
    });
    await waitFor(async () => (await world.deliveries(chatbotId)).length === 3, {
      timeoutMs: 15_000,
      description: 'three posts delivered',
    });
    const times = chat.postsTo(path).map((post) => post.receivedAt);
    expect(times[1] - times[0]).toBeGreaterThanOrEqual(900);
    expect(times[2] - times[1]).toBeGreaterThanOrEqual(900);
  });

  it('keeps at most 2 posts in flight to one host', async () => {
    const groupId = await world.group();
    const paths = [hookPath(), hookPath(), hookPath(), hookPath(), hookPath()];
    const chatbotIds: number[] = [];
    for (const path of paths) {
      chat.script(path, { status: 200, delayMs: 400 });
      chatbotIds.push(
        await world.chatbot(groupId, { kind: 'json', url: chat.url(path), eventKinds: ['new_discussion'] }),
      );
    }
    const { eventId } = await thread(groupId);
    chat.maxInFlight = 0;
    await db.transaction((manager) => fanout.enqueue(manager, { eventId, kind: 'new_discussion', groupId }));
    await waitFor(
      async () =>
        (await Promise.all(chatbotIds.map((id) => world.deliveries(id)))).every((rows) => rows.length === 1),
      { timeoutMs: 15_000, description: 'five slow posts delivered' },
    );
    expect(chat.maxInFlight).toBe(2);
  });

  it('a job delivered again after its post succeeded does not post twice', async () => {
    const groupId = await world.group();
    const path = hookPath();
    const chatbotId = await world.chatbot(groupId, { kind: 'markdown', url: chat.url(path), eventKinds: [] });
    const { eventId } = await thread(groupId);
    const js = client.jetstream();
    await js.publish(Subjects.PostToChatbot, JSON.stringify({ chatbotId, eventId }), {
      msgID: `first-${eventId}`,
    });
    await waitFor(async () => (await world.deliveries(chatbotId)).length === 1, {
      timeoutMs: 10_000,
      description: 'first post delivered',
    });
    // A different message id, as a replayed or re-enqueued job would have: only the deliveries table stops it.
    const replay = await js.publish(Subjects.PostToChatbot, JSON.stringify({ chatbotId, eventId }), {
      msgID: `again-${eventId}`,
    });
    await waitFor(async () => (await pendingOn(replay.seq)) === false, {
      timeoutMs: 10_000,
      description: 'replay handled',
    });
    expect(chat.postsTo(path)).toHaveLength(1);
  });

  /** True while the stream message `seq` has not been acknowledged by the notifier's consumer. */
  async function pendingOn(seq: number): Promise<boolean> {
    const jsm = await client.jetstreamManager();
    for await (const stream of jsm.streams.list()) {
      for await (const consumer of jsm.consumers.list(stream.config.name)) {
        if (
          consumer.config.filter_subject === Subjects.PostToChatbot ||
          consumer.config.filter_subjects?.includes(Subjects.PostToChatbot)
        ) {
          return consumer.ack_floor.stream_seq < seq;
        }
      }
    }
    throw new Error('no consumer for post-to-chatbot');
  }
});
