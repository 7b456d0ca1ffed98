import { createHmac } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { type ChatbotKind } from '@lib/db';
import { DiscardError, RetryLaterError } from '@lib/jetstream';
import { AddressPolicy } from '@lib/outbound';
import { createMigratedTestDatabase, type TestDatabase, openTestDataSource } from '@lib/testing';
import {
  ChatbotPostFailedError,
  ChatbotPoster,
  type ChatbotPosterOptions,
} from '../../src/chatbots/post-to-chatbot';
import { ChatbotWorld } from './chatbot-world';
import { FakeChatServer } from './fake-chat-server';

const AppUrl = 'https://loomio.test';

describe('post-to-chatbot against a fake chat server (real PostgreSQL)', () => {
  let database: TestDatabase;
  let db: DataSource;
  let world: ChatbotWorld;
  let chat: FakeChatServer;
  let path = 0;
  let groupId: number;
  let aliceId: number;
  let discussionEventId: number;
  let discussionId: number;

  const options: ChatbotPosterOptions = {
    appUrl: AppUrl,
    policy: new AddressPolicy({ hosts: [], cidrs: ['127.0.0.1'] }),
    timeoutMs: 2000,
    disableAfterFailures: 3,
  };
  const poster = (overrides: Partial<ChatbotPosterOptions> = {}) =>
    new ChatbotPoster(db, { ...options, ...overrides });
  const newPath = () => `/hooks/${++path}`;

  beforeAll(async () => {
    [database, chat] = await Promise.all([createMigratedTestDatabase(), new FakeChatServer().start()]);
    db = await openTestDataSource(database.url);
    world = new ChatbotWorld(db);
    groupId = await world.group('Climate <Circle> & friends');
    aliceId = await world.user('Alice Ames');
    discussionId = await world.discussion(groupId, aliceId, 'Budget *2027* <!channel> @everyone');
    discussionEventId = await world.event({
      kind: 'new_discussion',
      eventableType: 'Discussion',
      eventableId: discussionId,
      userId: aliceId,
      discussionId,
    });
  });

  afterAll(async () => {
    await chat?.stop();
    await db?.destroy();
    await database?.drop();
  });

  async function botAt(kind: ChatbotKind, extra: { secret?: string; failureCount?: number } = {}) {
    const hookPath = newPath();
    const id = await world.chatbot(groupId, { kind, url: chat.url(hookPath), ...extra });
    return { id, hookPath };
  }

  describe('formats', () => {
    async function postedBody(kind: ChatbotKind): Promise<{ json: any; raw: string }> {
      const { id, hookPath } = await botAt(kind);
      await poster().post({ chatbotId: id, eventId: discussionEventId });
      const [post] = chat.postsTo(hookPath);
      expect(post.headers['content-type']).toBe('application/json; charset=utf-8');
      // No e-mail address ever leaves, whatever the format.
      expect(post.raw).not.toMatch(/@people\.test/);
      return { json: post.json, raw: post.raw };
    }

    const discussionUrl = () => expect.stringMatching(new RegExp(`^${AppUrl}/d/d\\d+x\\d+$`));

    it('slack: blocks with an mrkdwn link, escaped so a title cannot ping the channel', async () => {
      const { json } = await postedBody('slack');
      expect(json.text).toBe('Alice Ames started a discussion: Budget *2027* <!channel> @everyone');
      expect(json.blocks).toHaveLength(2);
      expect(json.blocks[0]).toEqual({
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: expect.stringContaining('Alice Ames started a discussion: *<https://loomio.test/d/'),
        },
      });
      expect(json.blocks[0].text.text).toContain('|Budget *2027* &lt;!channel&gt; @everyone>*');
      expect(json.blocks[1].elements[0].text).toMatch(
        /^<https:\/\/loomio\.test\/g\/group-\d+-\d+\|Climate &lt;Circle&gt; &amp; friends>$/,
      );
    });

    it('discord: content and an embed, with mentions disabled', async () => {
      const { json } = await postedBody('discord');
      expect(json).toEqual({
        content: 'Alice Ames started a discussion: Budget *2027* <!channel> @everyone',
        embeds: [
          {
            title: 'Budget *2027* <!channel> @everyone',
            url: discussionUrl(),
            description: 'Alice Ames started a discussion',
            timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
            footer: { text: 'Climate <Circle> & friends' },
          },
        ],
        allowed_mentions: { parse: [] },
      });
    });

    it('microsoft: a Teams message with an adaptive card and an open link', async () => {
      const { json } = await postedBody('microsoft');
      expect(json.type).toBe('message');
      const [attachment] = json.attachments;
      expect(attachment.contentType).toBe('application/vnd.microsoft.card.adaptive');
      expect(attachment.content).toMatchObject({ type: 'AdaptiveCard', version: '1.4' });
      expect(attachment.content.body.map((block: { text: string }) => block.text)).toEqual([
        'Alice Ames started a discussion',
        'Budget *2027* <!channel> @everyone',
        'Climate <Circle> & friends',
      ]);
      expect(attachment.content.actions).toEqual([
        { type: 'Action.OpenUrl', title: 'Open in Loomio', url: discussionUrl() },
      ]);
    });

    it('webex and markdown: escaped markdown with links', async () => {
      const webex = (await postedBody('webex')).json;
      const markdown = (await postedBody('markdown')).json;
      expect(Object.keys(webex)).toEqual(['markdown']);
      expect(Object.keys(markdown)).toEqual(['text']);
      expect(webex.markdown).toBe(markdown.text);
      expect(markdown.text).toMatch(
        /^Alice Ames started a discussion: \*\*\[Budget \\\*2027\\\* \\<\\!channel\\> @everyone\]\(https:\/\/loomio\.test\/d\/d\d+x\d+\)\*\*\n\n\[Climate \\<Circle\\> & friends\]\(https:\/\/loomio\.test\/g\/group-\d+-\d+\)$/,
      );
    });

    it('json: ids, kind, links and names, no e-mail', async () => {
      const { json } = await postedBody('json');
      expect(json).toEqual({
        event: {
          id: discussionEventId,
          kind: 'new_discussion',
          occurredAt: expect.any(String),
          url: discussionUrl(),
        },
        record: { type: 'Discussion', id: discussionId, title: 'Budget *2027* <!channel> @everyone' },
        actor: { name: 'Alice Ames' },
        discussion: { id: discussionId, title: 'Budget *2027* <!channel> @everyone', url: discussionUrl() },
        group: {
          id: groupId,
          name: 'Climate <Circle> & friends',
          url: expect.stringMatching(/^https:\/\/loomio\.test\/g\//),
        },
        text: 'Alice Ames started a discussion: Budget *2027* <!channel> @everyone',
      });
    });
  });

  it('signs the raw body with the chatbot secret, and sends no signature without one', async () => {
    const signed = await botAt('json', { secret: 's3cret' });
    const unsigned = await botAt('json');
    await poster().post({ chatbotId: signed.id, eventId: discussionEventId });
    await poster().post({ chatbotId: unsigned.id, eventId: discussionEventId });
    const [post] = chat.postsTo(signed.hookPath);
    const expected = createHmac('sha256', 's3cret').update(post.raw).digest('hex');
    expect(post.headers['x-signature']).toBe(`sha256=${expected}`);
    expect(chat.postsTo(unsigned.hookPath)[0].headers['x-signature']).toBeUndefined();
  });

  it('reads names at send time and hides the voter of an anonymous poll', async () => {
    const bobId = await world.user('Bob Before');
    const pollId = await world.poll(groupId, bobId, { title: 'Secret ballot', anonymous: true });
    const pollEvent = await world.event({
      kind: 'poll_created',
      eventableType: 'Poll',
      eventableId: pollId,
      userId: bobId,
    });
    const stanceId = await world.stance(pollId, bobId);
    const stanceEvent = await world.event({
      kind: 'stance_created',
      eventableType: 'Stance',
      eventableId: stanceId,
      userId: bobId,
    });
    await db.query(`UPDATE users SET name = 'Bob After' WHERE id = $1`, [bobId]);
    const { id, hookPath } = await botAt('json');
    await poster().post({ chatbotId: id, eventId: pollEvent });
    await poster().post({ chatbotId: id, eventId: stanceEvent });
    const [created, voted] = chat.postsTo(hookPath).map((post) => post.json as any);
    expect(created.text).toBe('Bob After started a poll: Secret ballot');
    expect(created.event.url).toMatch(new RegExp(`^${AppUrl}/p/p\\d+x\\d+$`));
    expect(voted.actor).toBeNull();
    expect(voted.text).toBe('Someone voted in: Secret ballot');
  });

  it('200 records the delivery and resets the consecutive failures', async () => {
    const { id, hookPath } = await botAt('slack', { failureCount: 2 });
    chat.script(hookPath, { status: 200, body: 'ok' });
    await expect(poster().post({ chatbotId: id, eventId: discussionEventId })).resolves.toEqual({
      result: 'delivered',
      status: 200,
    });
    expect((await world.chatbotState(id)).failure_count).toBe(0);
    expect(await world.deliveries(id)).toEqual([{ event_id: String(discussionEventId), status_code: 200 }]);
  });

  it('a redelivered job does not post twice once the first post succeeded', async () => {
    const { id, hookPath } = await botAt('discord');
    await poster().post({ chatbotId: id, eventId: discussionEventId });
    await expect(poster().post({ chatbotId: id, eventId: discussionEventId })).resolves.toEqual({
      result: 'already-delivered',
    });
    expect(chat.postsTo(hookPath)).toHaveLength(1);
  });

  it('429 asks to retry after Retry-After (seconds or HTTP date) without counting a failure', async () => {
    const { id, hookPath } = await botAt('slack');
    chat.script(
      hookPath,
      { status: 429, headers: { 'retry-after': '7' } },
      { status: 429, headers: { 'retry-after': new Date(Date.now() + 30_000).toUTCString() } },
    );
    const seconds = await poster()
      .post({ chatbotId: id, eventId: discussionEventId })
      .catch((e: unknown) => e);
    expect(seconds).toBeInstanceOf(RetryLaterError);
    expect((seconds as RetryLaterError).delayMs).toBe(7000);
    const date = await poster()
      .post({ chatbotId: id, eventId: discussionEventId })
      .catch((e: unknown) => e);
    expect((date as RetryLaterError).delayMs).toBeGreaterThan(25_000);
    expect((date as RetryLaterError).delayMs).toBeLessThanOrEqual(30_000);
    expect((await world.chatbotState(id)).failure_count).toBe(0);
    expect(await world.deliveries(id)).toEqual([]);
  });

  it('500 then 200: the failure is counted and retried, the success resets it', async () => {
    const { id, hookPath } = await botAt('webex');
    chat.script(hookPath, { status: 503, body: 'upstream down' }, { status: 200 });
    await expect(poster().post({ chatbotId: id, eventId: discussionEventId })).rejects.toThrow(
      ChatbotPostFailedError,
    );
    expect(await world.chatbotState(id)).toMatchObject({
      failure_count: 1,
      last_error: 'HTTP 503: upstream down',
      last_failure_at: expect.any(Date),
      disabled_at: null,
    });
    await expect(poster().post({ chatbotId: id, eventId: discussionEventId })).resolves.toMatchObject({
      result: 'delivered',
    });
    expect((await world.chatbotState(id)).failure_count).toBe(0);
    expect(chat.postsTo(hookPath)).toHaveLength(2);
  });

  it('a timeout is a retryable failure', async () => {
    const { id, hookPath } = await botAt('json');
    chat.script(hookPath, { status: 200, hang: true });
    const started = Date.now();
    await expect(
      poster({ timeoutMs: 300 }).post({ chatbotId: id, eventId: discussionEventId }),
    ).rejects.toThrow(ChatbotPostFailedError);
    expect(Date.now() - started).toBeLessThan(2000);
    expect((await world.chatbotState(id)).last_error).toMatch(/did not answer within 300 ms/);
  });

  it('410 disables the chatbot and drops the post', async () => {
    const { id, hookPath } = await botAt('microsoft');
    chat.script(hookPath, { status: 410, body: 'gone' });
    await expect(poster().post({ chatbotId: id, eventId: discussionEventId })).rejects.toThrow(DiscardError);
    expect((await world.chatbotState(id)).disabled_at).toBeInstanceOf(Date);
    await expect(poster().post({ chatbotId: id, eventId: discussionEventId })).rejects.toThrow('is disabled');
    expect(chat.postsTo(hookPath)).toHaveLength(1);
  });

  it('another 4xx is recorded and dropped, the chatbot stays enabled', async () => {
    const { id, hookPath } = await botAt('slack');
    chat.script(hookPath, { status: 400, body: 'invalid_blocks' });
    await expect(poster().post({ chatbotId: id, eventId: discussionEventId })).rejects.toThrow(
      new DiscardError(`chatbot ${id} refused the post: HTTP 400: invalid_blocks`),
    );
    expect(await world.chatbotState(id)).toMatchObject({
      failure_count: 1,
      last_error: 'HTTP 400: invalid_blocks',
      disabled_at: null,
    });
  });

  it('N consecutive failures disable the chatbot (N = 3 here)', async () => {
    const { id, hookPath } = await botAt('discord');
    chat.script(hookPath, { status: 500 }, { status: 502 }, { status: 500 }, { status: 200 });
    await expect(poster().post({ chatbotId: id, eventId: discussionEventId })).rejects.toThrow(
      ChatbotPostFailedError,
    );
    await expect(poster().post({ chatbotId: id, eventId: discussionEventId })).rejects.toThrow(
      ChatbotPostFailedError,
    );
    await expect(poster().post({ chatbotId: id, eventId: discussionEventId })).rejects.toThrow(
      `chatbot ${id} disabled after 3 consecutive failures: HTTP 500`,
    );
    expect(await world.chatbotState(id)).toMatchObject({ failure_count: 3, disabled_at: expect.any(Date) });
    await expect(poster().post({ chatbotId: id, eventId: discussionEventId })).rejects.toThrow('is disabled');
    expect(chat.postsTo(hookPath)).toHaveLength(3);
  });

  it('refuses a webhook resolving to 127.0.0.1 or 169.254.169.254 when not allow-listed', async () => {
    const strict = poster({ policy: new AddressPolicy() });
    const hookPath = newPath();
    const local = await world.chatbot(groupId, { kind: 'json', url: chat.url(hookPath, 'localhost') });
    const metadata = await world.chatbot(groupId, {
      kind: 'json',
      url: 'http://169.254.169.254/latest/meta-data/',
    });
    await expect(strict.post({ chatbotId: local, eventId: discussionEventId })).rejects.toThrow(DiscardError);
    await expect(strict.post({ chatbotId: metadata, eventId: discussionEventId })).rejects.toThrow(
      DiscardError,
    );
    expect(chat.postsTo(hookPath)).toHaveLength(0);
    expect((await world.chatbotState(local)).last_error).toMatch(
      /^refused to connect to localhost:\d+: 127\.0\.0\.1 is a loopback address$/,
    );
    expect((await world.chatbotState(metadata)).last_error).toBe(
      'refused to connect to 169.254.169.254: 169.254.169.254 is a cloud metadata address',
    );
    // The same webhook is reached once loopback is allow-listed.
    await expect(poster().post({ chatbotId: local, eventId: discussionEventId })).resolves.toMatchObject({
      result: 'delivered',
    });
  });

  it('drops activity whose record was deleted, and an unknown chatbot', async () => {
    const deletedThread = await world.discussion(groupId, aliceId, 'Gone', true);
    const eventId = await world.event({
      kind: 'new_discussion',
      eventableType: 'Discussion',
      eventableId: deletedThread,
      userId: aliceId,
      discussionId: deletedThread,
    });
    const { id, hookPath } = await botAt('json');
    await expect(poster().post({ chatbotId: id, eventId })).rejects.toThrow('was deleted');
    await expect(poster().post({ chatbotId: 987654321, eventId })).rejects.toThrow(
      'chatbot 987654321 no longer exists',
    );
    expect(chat.postsTo(hookPath)).toHaveLength(0);
  });

  it("never posts another group's activity to this group's chatbot", async () => {
    const otherGroup = await world.group('Private board');
    const secretPoll = await world.poll(otherGroup, aliceId, { title: 'Salaries' });
    const eventId = await world.event({
      kind: 'poll_created',
      eventableType: 'Poll',
      eventableId: secretPoll,
      userId: aliceId,
    });
    const { id, hookPath } = await botAt('json');
    await expect(poster().post({ chatbotId: id, eventId })).rejects.toThrow('belongs to another group');
    expect(chat.postsTo(hookPath)).toHaveLength(0);
  });
});
