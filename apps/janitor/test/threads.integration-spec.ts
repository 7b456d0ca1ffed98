import type { DataSource } from 'typeorm';
import { createMigratedTestDatabase, type TestDatabase, openTestDataSource } from '@lib/testing';
import { MembershipRedemption } from '../src/accounts/membership-redemption';
import { RevokeMemberships } from '../src/accounts/revoke-memberships';
import { SearchIndex } from '../src/search/search-index';
import { MoveComments } from '../src/threads/move-comments';
import { ThreadRepair } from '../src/threads/thread-repair';
import { JanitorWorld } from './janitor-world';

interface Shape {
  sequence_id: number | null;
  parent: string | null;
  depth: number;
  position: number;
  child_count: number;
  descendant_count: number;
}

describe('repair-thread, move-comments, revoke-memberships and accept-membership (real PostgreSQL)', () => {
  let database: TestDatabase;
  let db: DataSource;
  let world: JanitorWorld;
  let author: number;

  beforeAll(async () => {
    database = await createMigratedTestDatabase();
    db = await openTestDataSource(database.url);
    world = new JanitorWorld(db);
    author = await world.user();
  });

  afterAll(async () => {
    await db?.destroy();
    await database?.drop();
  });

  /** A thread: its root event and, per label, the comment and its event. */
  async function thread(maxDepth = 2) {
    const group = await world.insert('groups', { name: 'G' });
    const discussionId = await world.insert('discussions', {
      group_id: group,
      author_id: author,
      title: 'T',
      max_depth: maxDepth,
    });
    const root = await world.insert('events', {
      kind: 'new_discussion',
      eventable_type: 'Discussion',
      eventable_id: discussionId,
      discussion_id: discussionId,
      sequence_id: 0,
    });
    const labels = new Map<number, string>([[root, 'root']]);
    const comments: Record<string, { commentId: number; eventId: number }> = {};
    const comment = async (label: string, parent: string | null, sequenceId: number | null) => {
      const commentId = await world.insert('comments', {
        discussion_id: discussionId,
        author_id: author,
        parent_id: parent ? comments[parent].commentId : null,
        body: label,
      });
      const eventId = await world.insert('events', {
        kind: 'new_comment',
        eventable_type: 'Comment',
        eventable_id: commentId,
        discussion_id: discussionId,
        sequence_id: sequenceId,
        depth: 7,
        position: 9,
      });
      comments[label] = { commentId, eventId };
      labels.set(eventId, label);
    };
    const shape = async (): Promise<Record<string, Shape>> => {
      const rows = (await db.query(
        `SELECT id, sequence_id, parent_id, depth, position, child_count, descendant_count
         FROM events WHERE discussion_id = $1 ORDER BY id`,
        [discussionId],
      )) as (Omit<Shape, 'parent'> & { id: string; parent_id: string | null })[];
      return Object.fromEntries(
        rows.map(({ id, parent_id, ...rest }) => [
          labels.get(Number(id)) ?? id,
          { ...rest, parent: parent_id === null ? null : (labels.get(Number(parent_id)) ?? parent_id) },
        ]),
      );
    };
    return { discussionId, root, comment, comments, shape, labels };
  }

  const row = (
    sequence_id: number | null,
    parent: string | null,
    depth: number,
    position: number,
    child_count = 0,
    descendant_count = 0,
  ): Shape => ({
    sequence_id,
    parent,
    depth,
    position,
    child_count,
    descendant_count,
  });

  it('numbers only what lacks a sequence id, rebuilds the tree within max_depth and trims read ranges', async () => {
    const t = await thread(2);
    await t.comment('a', null, 1);
    await t.comment('b', 'a', 2);
    await t.comment('c', 'b', 4); // a gap stays a gap: never renumber
    await t.comment('d', null, null);
    const reader = await world.insert('discussion_readers', {
      discussion_id: t.discussionId,
      user_id: author,
      read_ranges: JSON.stringify([
        [1, 9],
        [12, 14],
      ]),
    });

    const report = await new ThreadRepair(db).repair(t.discussionId);

    expect(report).toMatchObject({ events: 5, numbered: 1, lastSequenceId: 5, readersTrimmed: 1 });
    expect(await t.shape()).toEqual({
      root: row(0, null, 0, 0, 2, 4),
      a: row(1, 'root', 1, 1, 2, 2),
      b: row(2, 'a', 2, 1),
      c: row(4, 'a', 2, 2), // a reply to b would be depth 3: it hangs under a
      d: row(5, 'root', 1, 2),
    });
    const [discussion] = await db.query(
      `SELECT last_sequence_id, items_count FROM discussions WHERE id = $1`,
      [t.discussionId],
    );
    expect(discussion).toEqual({ last_sequence_id: 5, items_count: 4 });
    const [ranges] = await db.query(`SELECT read_ranges FROM discussion_readers WHERE id = $1`, [reader]);
    expect(ranges.read_ranges).toEqual([[1, 5]]);
    expect(await new ThreadRepair(db).repair(t.discussionId)).toMatchObject({
      changed: 0,
      readersTrimmed: 0,
    });
  });

  it('moves comments with their replies to the next sequence ids of the target; the rest keeps theirs', async () => {
    const source = await thread(3);
    await source.comment('a', null, 1);
    await source.comment('a-reply', 'a', 2);
    await source.comment('stays', null, 3);
    await source.comment('stays-reply', 'a', 4);
    const target = await thread(3);
    await target.comment('t', null, 1);
    const search = new SearchIndex(db);
    await search.syncDiscussions([source.discussionId, target.discussionId]);
    const moves = new MoveComments(db, new ThreadRepair(db), search);

    // 'stays-reply' replies to 'a' and so moves with it.
    const outcome = await moves.move(source.discussionId, target.discussionId, [source.comments.a.commentId]);

    expect(outcome).toMatchObject({ moved: true, comments: 3, events: 3 });
    for (const [id, label] of source.labels) target.labels.set(id, label);
    expect(await target.shape()).toEqual({
      root: row(0, null, 0, 0, 2, 4),
      t: row(1, 'root', 1, 1),
      a: row(2, 'root', 1, 2, 2, 2),
      'a-reply': row(3, 'a', 2, 1),
      'stays-reply': row(4, 'a', 2, 2),
    });
    expect(await source.shape()).toEqual({ root: row(0, null, 0, 0, 1, 1), stays: row(3, 'root', 1, 1) });
    const [comment] = await db.query(
      `SELECT discussion_id::int, parent_id::int FROM comments WHERE id = $1`,
      [source.comments['a-reply'].commentId],
    );
    expect(comment).toEqual({ discussion_id: target.discussionId, parent_id: source.comments.a.commentId });
    const docs = await db.query(
      `SELECT discussion_id::int AS d, count(*)::int AS n FROM search_documents
       WHERE searchable_type = 'Comment' AND discussion_id = ANY($1) GROUP BY 1 ORDER BY 1`,
      [[source.discussionId, target.discussionId]],
    );
    expect(docs).toEqual([
      { d: source.discussionId, n: 1 },
      { d: target.discussionId, n: 4 },
    ]);
    expect(
      await moves.move(source.discussionId, target.discussionId, [source.comments.a.commentId]),
    ).toMatchObject({
      moved: true,
      comments: 0,
    });
  });

  it('revokes the memberships deactivated users still hold, at their deactivation time', async () => {
    const deactivatedAt = new Date(Date.now() - 86_400_000);
    const gone = await world.user({ deactivated_at: deactivatedAt });
    const active = await world.user();
    const group = await world.insert('groups', { name: 'G' });
    const stale = await world.insert('memberships', {
      group_id: group,
      user_id: gone,
      accepted_at: new Date(),
    });
    const kept = await world.insert('memberships', {
      group_id: group,
      user_id: active,
      accepted_at: new Date(),
    });
    expect(await new RevokeMemberships(db, 1).revokeOfDeactivatedUsers()).toBe(1);
    const rows = await db.query(
      `SELECT id::int, revoked_at FROM memberships WHERE id = ANY($1) ORDER BY id`,
      [[stale, kept]],
    );
    expect(rows).toEqual([
      { id: stale, revoked_at: deactivatedAt },
      { id: kept, revoked_at: null },
    ]);
    expect(await new RevokeMemberships(db, 1).revokeOfDeactivatedUsers()).toBe(0);
  });

  it('redeems a pending invitation once, for the invited placeholder or another user', async () => {
    const group = await world.insert('groups', { name: 'G' });
    const [placeholder, user, member] = [await world.user(), await world.user(), await world.user()];
    const invitation = await world.insert('memberships', { group_id: group, user_id: placeholder });
    const redemption = new MembershipRedemption(db);
    expect(await redemption.redeem(invitation, user)).toEqual({ redeemed: true });
    const [row] = await db.query(`SELECT user_id::int, accepted_at FROM memberships WHERE id = $1`, [
      invitation,
    ]);
    expect(row.user_id).toBe(user);
    expect(row.accepted_at).not.toBeNull();
    expect(await redemption.redeem(invitation, user)).toEqual({ redeemed: false, reason: 'not-pending' });

    await world.insert('memberships', { group_id: group, user_id: member, accepted_at: new Date() });
    const redundant = await world.insert('memberships', { group_id: group, user_id: placeholder });
    expect(await redemption.redeem(redundant, member)).toEqual({ redeemed: false, reason: 'already-member' });
    expect(await db.query(`SELECT id FROM memberships WHERE id = $1`, [redundant])).toEqual([]);
    const revoked = await world.insert('memberships', {
      group_id: group,
      user_id: placeholder,
      revoked_at: new Date(),
    });
    expect(await redemption.redeem(revoked, placeholder)).toEqual({ redeemed: false, reason: 'not-pending' });
  });
});
