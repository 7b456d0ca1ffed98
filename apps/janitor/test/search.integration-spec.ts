import { durableName } from '@lib/jetstream';
import { waitFor } from '@lib/testing';
import { headers, type NatsConnection } from 'nats';
import type { DataSource } from 'typeorm';
import { SearchIndex } from '../src/search/search-index';
import { startJanitorUnderTest, type JanitorUnderTest } from './janitor-under-test';
import { JanitorWorld } from './janitor-world';

describe('reindex-search: search_documents follow the domain events (real NATS and PostgreSQL)', () => {
  let harness: JanitorUnderTest;
  let db: DataSource;
  let client: NatsConnection;
  let world: JanitorWorld;

  beforeAll(async () => {
    harness = await startJanitorUnderTest({ JANITOR_BATCH_SIZE: '2' });
    ({ db, client, world } = harness);
  });

  afterAll(() => harness?.stop());

  const publish = (subject: string, payload: object) =>
    client.jetstream().publish(subject, JSON.stringify(payload));

  /** The index without ids and timestamps, which a rebuild may legitimately change. */
  async function snapshot(): Promise<unknown[]> {
    return db.query(
      `SELECT searchable_type, searchable_id::int, group_id::int, discussion_id::int, poll_id::int, author_id::int,
              content, ts_content::text, authored_at
       FROM search_documents ORDER BY searchable_type, searchable_id`,
    );
  }

  it('indexes, updates and drops rows from events, and a rebuild writes exactly the same', async () => {
    const author = await world.user();
    const group = await world.insert('groups', { name: 'G' });
    const kept = await world.insert('discussions', {
      group_id: group,
      author_id: author,
      title: 'Budget',
      description: '<p>Where does the <b>money</b> go?</p>',
    });
    const binned = await world.insert('discussions', { group_id: group, author_id: author, title: 'Old' });
    const [first, second, inBinned] = [
      await world.insert('comments', { discussion_id: kept, author_id: author, body: '<p>Spend it</p>' }),
      await world.insert('comments', { discussion_id: kept, author_id: author, body: '<p>Save it</p>' }),
      await world.insert('comments', { discussion_id: binned, author_id: author, body: '<p>Gone soon</p>' }),
    ];
    const poll = await world.insert('polls', {
      group_id: group,
      discussion_id: kept,
      author_id: author,
      title: 'Spend?',
      poll_type: 'proposal',
      details: '<p>Vote</p>',
    });
    const activity = { eventId: 1, actorId: author };
    for (const discussionId of [kept, binned]) {
      await publish('events.discussion.created', { ...activity, discussionId, groupId: group });
    }
    for (const commentId of [first, second]) {
      await publish('events.comment.created', { ...activity, commentId, discussionId: kept, parentId: null });
    }
    await publish('events.comment.created', {
      ...activity,
      commentId: inBinned,
      discussionId: binned,
      parentId: null,
    });
    await publish('events.poll.created', {
      pollId: poll,
      groupId: group,
      discussionId: kept,
      actorId: author,
    });
    await waitFor(async () => (await snapshot()).length === 6);
    const [budget] = await db.query(
      `SELECT content FROM search_documents WHERE searchable_type = 'Discussion' AND searchable_id = $1`,
      [kept],
    );
    expect(budget.content).toBe('Budget Where does the money go?');
    const [hit] = await db.query(
      `SELECT searchable_id::int AS id FROM search_documents WHERE ts_content @@ plainto_tsquery('simple', 'money')`,
    );
    expect(hit.id).toBe(kept);

    await db.query(`UPDATE comments SET body = '<p>Invest it</p>' WHERE id = $1`, [first]);
    await db.query(`UPDATE comments SET discarded_at = now() WHERE id = $1`, [second]);
    await db.query(`UPDATE discussions SET discarded_at = now() WHERE id = $1`, [binned]);
    // Late, duplicated and out of order: each sync reads the record as it is now.
    await publish('events.comment.discarded', { commentId: second, actorId: author });
    await publish('events.comment.updated', { ...activity, commentId: first });
    await publish('events.comment.updated', { ...activity, commentId: first });
    await publish('events.discussion.discarded', { discussionId: binned, actorId: author });
    await publish('events.comment.created', {
      ...activity,
      commentId: second,
      discussionId: kept,
      parentId: null,
    });
    await waitFor(async () => {
      const rows = (await snapshot()) as { searchable_type: string; content: string }[];
      return rows.length === 3 && rows.some((row) => row.content === 'Invest it');
    });
    const incremental = await snapshot();
    expect(incremental).toEqual([
      expect.objectContaining({ searchable_type: 'Comment', searchable_id: first, content: 'Invest it' }),
      expect.objectContaining({ searchable_type: 'Discussion', searchable_id: kept }),
      expect.objectContaining({ searchable_type: 'Poll', searchable_id: poll, content: 'Spend? Vote' }),
    ]);

    // A full rebuild from scratch, and one over stale rows, both give the incremental result.
    await db.query(`DELETE FROM search_documents`);
    const index = new SearchIndex(db, 2);
    expect(await index.rebuild()).toEqual({ indexed: 6, removed: 0 });
    expect(await snapshot()).toEqual(incremental);
    await db.query(`UPDATE search_documents SET content = 'stale', ts_content = NULL`);
    await world.insert('search_documents', {
      searchable_type: 'Comment',
      searchable_id: 999_999,
      content: 'ghost',
    });
    await publish('jobs.janitor.reindex-search', {});
    await waitFor(async () => JSON.stringify(await snapshot()) === JSON.stringify(incremental));
  });

  it('appends a transcript once per job, escaped, and reindexes the record', async () => {
    const author = await world.user();
    const group = await world.insert('groups', { name: 'G' });
    const discussion = await world.insert('discussions', {
      group_id: group,
      author_id: author,
      title: 'Call',
    });
    const comment = await world.insert('comments', {
      discussion_id: discussion,
      author_id: author,
      body: '<p>Audio</p>',
    });
    const attachment = await world.insert('attachments', {
      record_type: 'Comment',
      record_id: comment,
      key: `audio-${comment}`,
      filename: 'call.ogg',
    });
    const job = JSON.stringify({ attachmentId: attachment, text: 'We agreed <b>nothing</b>\nyet' });
    const sameJob = headers();
    sameJob.set('ce-id', `transcript-${attachment}`);
    // The same job delivered twice (no Nats-Msg-Id, so the stream keeps both).
    await client.jetstream().publish('jobs.janitor.append-transcript', job, { headers: sameJob });
    await client.jetstream().publish('jobs.janitor.append-transcript', job, { headers: sameJob });
    const body = async () =>
      ((await db.query(`SELECT body FROM comments WHERE id = $1`, [comment])) as { body: string }[])[0].body;
    const expected = '<p>Audio</p><p>We agreed &lt;b&gt;nothing&lt;/b&gt;<br>yet</p>';
    await waitFor(async () => (await body()) === expected);
    const consumed = await waitFor(async () => {
      const info = await (
        await client.jetstreamManager()
      ).consumers
        .info('JOBS', durableName('janitor', 'jobs.janitor.append-transcript'))
        .catch(() => null);
      return info && info.num_pending === 0 && info.num_ack_pending === 0 ? info : null;
    }).catch(() => null);
    expect(await body()).toBe(expected);
    expect(consumed).not.toBeNull();
    const [document] = await db.query(
      `SELECT content FROM search_documents WHERE searchable_type = 'Comment' AND searchable_id = $1`,
      [comment],
    );
    expect(document.content).toBe('Audio We agreed <b>nothing</b> yet');
  });
});
