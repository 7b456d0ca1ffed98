import pino from 'pino';
import type { DataSource } from 'typeorm';
import { Contracts } from '@lib/contracts';
import { Outbox } from '@lib/db';
import { createMigratedTestDatabase, type TestDatabase, openTestDataSource } from '@lib/testing';
import { BatchDeleter } from '../src/destroy/batch-delete';
import { Dependencies, reachableFrom, References } from '../src/destroy/dependency-graph';
import { GroupDestruction } from '../src/destroy/group-destruction';
import { RecordDestruction } from '../src/destroy/record-destruction';
import { TagRename } from '../src/destroy/tag-rename';
import { ThreadRepair } from '../src/threads/thread-repair';
import { JanitorWorld, sortedCopy, type Created } from './janitor-world';

const quiet = pino({ level: 'silent' });

/** Columns naming a parent row by convention; each must be an edge of the dependency graph. */
const ParentColumns: Record<string, string> = {
  group_id: 'groups',
  discussion_id: 'discussions',
  poll_id: 'polls',
  stance_id: 'stances',
  poll_option_id: 'poll_options',
  event_id: 'events',
  chatbot_id: 'chatbots',
  task_id: 'tasks',
};

describe('batch delete and destroy-* (real PostgreSQL)', () => {
  let database: TestDatabase;
  let db: DataSource;
  let world: JanitorWorld;
  const outbox = new Outbox(Contracts, 'urn:test');

  beforeAll(async () => {
    database = await createMigratedTestDatabase();
    db = await openTestDataSource(database.url);
    world = new JanitorWorld(db);
  });

  afterAll(async () => {
    await db?.destroy();
    await database?.drop();
  });

  async function everything(): Promise<Created> {
    return sortedCopy(await world.idsByTable(reachableFrom('groups')));
  }

  function without(all: Created, gone: Created): Created {
    return sortedCopy(
      Object.fromEntries(
        Object.entries(all).map(([table, ids]) => [
          table,
          ids.filter((id) => !(gone[table] ?? []).includes(id)),
        ]),
      ),
    );
  }

  it('knows every parent column of the schema', async () => {
    const columns = (await db.query(
      `SELECT table_name, column_name FROM information_schema.columns
       WHERE table_schema = 'public' AND column_name = ANY($1)`,
      [Object.keys(ParentColumns)],
    )) as { table_name: string; column_name: string }[];
    const missing = columns
      .filter(({ table_name, column_name }) => ParentColumns[column_name] !== table_name)
      .filter(
        ({ table_name, column_name }) =>
          !References.some((r) => r.table === table_name && r.column === column_name),
      )
      .filter(
        ({ table_name, column_name }) =>
          !Dependencies.some(
            (d) =>
              d.child === table_name && d.column === column_name && d.parent === ParentColumns[column_name],
          ),
      )
      .map(({ table_name, column_name }) => `${table_name}.${column_name}`);
    expect(missing).toEqual([]);
  });

  it('archives the tree, warns the admins once each and schedules the purge 14 days later', async () => {
    const [admin, member] = [await world.user(), await world.user()];
    const tree = await world.groupTree(admin, member, 1);
    const [parent, child] = tree.groups;
    const destruction = new GroupDestruction(db, outbox, new BatchDeleter(db, quiet));

    const outcome = await destruction.archive(parent);
    if (!outcome.archived) throw new Error('expected an archive');
    expect(outcome.admins).toEqual([admin]);
    const groups = await db.query(`SELECT id, archived_at FROM groups WHERE id = ANY($1) ORDER BY id`, [
      tree.groups,
    ]);
    expect(groups.map((g: { archived_at: Date }) => g.archived_at?.getTime())).toEqual([
      outcome.archivedAt.getTime(),
      outcome.archivedAt.getTime(),
    ]);
    const messages = (await db.query(
      `SELECT subject, payload, deliver_at FROM outbox_messages WHERE payload->>'groupId' = $1 OR payload->>'recordId' = $1`,
      [String(parent)],
    )) as { subject: string; payload: Record<string, unknown>; deliver_at: Date }[];
    const mails = messages.filter((m) => m.subject === 'jobs.notifier.deliver-email');
    expect(mails.map((m) => m.payload)).toEqual([
      expect.objectContaining({ kind: 'group_destroy_warning', recipientId: admin, recordType: 'Group' }),
    ]);
    const [purge] = messages.filter((m) => m.subject === 'jobs.janitor.purge-group');
    expect(purge.deliver_at.getTime() - outcome.archivedAt.getTime()).toBe(14 * 24 * 3600_000);
    expect(child).toBeGreaterThan(parent);
  });

  it('purges the group, its subgroups and every dependent row, and nothing of another group', async () => {
    const [admin, member] = [await world.user(), await world.user()];
    const doomed = await world.groupTree(admin, member);
    const other = await world.groupTree(admin, member);
    const before = await everything();
    const users = await db.query(`SELECT count(*)::int AS n FROM users`);
    const destruction = new GroupDestruction(db, outbox, new BatchDeleter(db, quiet, 7));
    const outcome = await destruction.archive(doomed.groups[0]);
    if (!outcome.archived) throw new Error('expected an archive');

    const purge = await destruction.purge(doomed.groups[0], outcome.archivedAt.toISOString());

    expect(purge.purged).toBe(true);
    expect(await everything()).toEqual(without(before, doomed));
    // Every table of the graph had rows in the doomed tree, so the check above covers them all.
    expect([...Object.keys(doomed), 'chatbot_deliveries'].sort()).toEqual(
      [...reachableFrom('groups')].sort(),
    );
    const deliveries = (chatbots: number[]) =>
      db.query(`SELECT count(*)::int AS n FROM chatbot_deliveries WHERE chatbot_id = ANY($1)`, [chatbots]);
    expect(await deliveries(doomed.chatbots)).toEqual([{ n: 0 }]);
    expect(await deliveries(other.chatbots)).toEqual([{ n: 2 }]);
    for (const [table, ids] of Object.entries(other)) {
      expect((await world.idsByTable([table]))[table]).toEqual(expect.arrayContaining(ids));
    }
    expect(await db.query(`SELECT count(*)::int AS n FROM users`)).toEqual(users);
  });

  it('resumes a purge that crashed between batches and finishes it', async () => {
    const [admin, member] = [await world.user(), await world.user()];
    const doomed = await world.groupTree(admin, member, 3);
    const before = await everything();
    const destruction = new GroupDestruction(db, outbox, new BatchDeleter(db, quiet, 5));
    const outcome = await destruction.archive(doomed.groups[0]);
    if (!outcome.archived) throw new Error('expected an archive');
    const stamp = outcome.archivedAt.toISOString();

    const crash = new Error('worker killed');
    await expect(
      destruction.purge(doomed.groups[0], stamp, {
        afterBatch: ({ batches }) => {
          if (batches === 6) throw crash;
        },
      }),
    ).rejects.toBe(crash);
    const halfway = await everything();
    expect(halfway).not.toEqual(before);
    expect(halfway.groups).toEqual(expect.arrayContaining(doomed.groups));

    // A second crash later in the walk, then the redelivered job runs to the end.
    await expect(
      destruction.purge(doomed.groups[0], stamp, {
        afterBatch: ({ table }) => {
          if (table === 'groups') throw crash;
        },
      }),
    ).rejects.toBe(crash);
    expect((await destruction.purge(doomed.groups[0], stamp)).purged).toBe(true);
    expect(await everything()).toEqual(without(before, doomed));
    expect(await destruction.purge(doomed.groups[0], stamp)).toEqual({
      purged: false,
      reason: 'unknown-group',
    });
  });

  it('keeps a group un-archived within the 14 days, and a group destroyed again waits for its own purge', async () => {
    const [admin, member] = [await world.user(), await world.user()];
    const tree = await world.groupTree(admin, member, 1);
    const before = await everything();
    const destruction = new GroupDestruction(db, outbox, new BatchDeleter(db, quiet));
    const first = await destruction.archive(tree.groups[0]);
    if (!first.archived) throw new Error('expected an archive');

    await db.query(`UPDATE groups SET archived_at = NULL WHERE id = ANY($1)`, [tree.groups]);
    expect(await destruction.purge(tree.groups[0], first.archivedAt.toISOString())).toEqual({
      purged: false,
      reason: 'un-archived',
    });
    const second = await destruction.archive(tree.groups[0]);
    if (!second.archived) throw new Error('expected an archive');
    expect(await destruction.purge(tree.groups[0], first.archivedAt.toISOString())).toEqual({
      purged: false,
      reason: 'archived-again',
    });
    expect(await everything()).toEqual(before);
  });

  it('destroys a discussion, a comment with its replies, and a tag, leaving the rest of the thread', async () => {
    const [admin, member] = [await world.user(), await world.user()];
    const tree = await world.groupTree(admin, member, 2);
    const records = new RecordDestruction(db, new BatchDeleter(db, quiet, 4), new ThreadRepair(db), 2);
    const [keptDiscussion, doomedDiscussion] = tree.discussions;

    const discussionReport = await records.destroyDiscussion(doomedDiscussion);
    expect(discussionReport).toMatchObject({ discussions: 1, comments: 2, polls: 1, discussion_readers: 1 });
    const count = async (sql: string, params: unknown[]) =>
      ((await db.query(sql, params)) as { n: number }[])[0].n;
    for (const [table, column] of [
      ['comments', 'discussion_id'],
      ['polls', 'discussion_id'],
      ['events', 'discussion_id'],
      ['search_documents', 'discussion_id'],
    ]) {
      expect(
        await count(`SELECT count(*)::int AS n FROM ${table} WHERE ${column} = $1`, [doomedDiscussion]),
      ).toBe(0);
    }
    expect(
      await count(`SELECT count(*)::int AS n FROM comments WHERE discussion_id = $1`, [keptDiscussion]),
    ).toBe(2);

    const [parentComment] = (await db.query(
      `SELECT id FROM comments WHERE discussion_id = $1 AND parent_id IS NULL`,
      [keptDiscussion],
    )) as { id: string }[];
    const commentReport = await records.destroyComment(Number(parentComment.id));
    expect(commentReport).toMatchObject({ comments: 2, events: 2, notifications: 2, documents: 2 });
    expect(
      await count(`SELECT count(*)::int AS n FROM comments WHERE discussion_id = $1`, [keptDiscussion]),
    ).toBe(0);
    expect(await count(`SELECT count(*)::int AS n FROM discussions WHERE id = $1`, [keptDiscussion])).toBe(1);
    // The thread was re-laid out without the removed items: its root and the poll remain.
    expect(
      await db.query(`SELECT items_count, last_sequence_id FROM discussions WHERE id = $1`, [keptDiscussion]),
    ).toEqual([{ items_count: 1, last_sequence_id: 1 }]);

    const [parentGroup, subgroup] = tree.groups;
    const tagId = await world.insert('tags', { group_id: parentGroup, name: 'urgent' });
    await db.query(`UPDATE discussions SET tags = '{urgent,other}' WHERE group_id = ANY($1)`, [tree.groups]);
    await db.query(`UPDATE polls SET tags = '{urgent}' WHERE group_id = $1`, [subgroup]);
    const tagReport = await records.destroyTag(tagId);
    expect(tagReport).toMatchObject({ tags: 1, 'discussions untagged': 3, 'polls untagged': 3 });
    expect(
      await db.query(`SELECT DISTINCT tags FROM discussions WHERE group_id = ANY($1)`, [tree.groups]),
    ).toEqual([{ tags: ['other'] }]);
    expect(await count(`SELECT count(*)::int AS n FROM tags WHERE group_id = ANY($1)`, [tree.groups])).toBe(
      2,
    );
    expect(await records.destroyTag(tagId)).toEqual({});
  });

  it('destroys a record of an allow-listed table with its dependents only', async () => {
    const [admin, member] = [await world.user(), await world.user()];
    const tree = await world.groupTree(admin, member, 1);
    const records = new RecordDestruction(db, new BatchDeleter(db, quiet, 3), new ThreadRepair(db), 3);
    const [doomedPoll, keptPoll] = tree.polls;
    const report = await records.destroyRecord('polls', doomedPoll);
    expect(report).toMatchObject({ polls: 1, poll_options: 1, stances: 1, stance_choices: 1, outcomes: 1 });
    const count = async (table: string) =>
      (
        (await db.query(`SELECT count(*)::int AS n FROM ${table} WHERE poll_id = $1`, [keptPoll])) as {
          n: number;
        }[]
      )[0].n;
    for (const table of ['poll_options', 'stances', 'outcomes']) expect(await count(table)).toBe(1);
    expect(await records.destroyRecord('polls', doomedPoll)).toEqual({});
  });

  it('renames a tag across the group and subgroups, merging into an existing one without duplicates', async () => {
    const group = await world.insert('groups', { name: 'G' });
    const subgroup = await world.insert('groups', { name: 'S', parent_id: group });
    const elsewhere = await world.insert('groups', { name: 'E' });
    const tag = (groupId: number, name: string) =>
      world.insert('tags', { group_id: groupId, name, color: 'red' });
    const [merged, kept, renamed, untouched] = [
      await tag(group, 'old'),
      await tag(group, 'new'),
      await tag(subgroup, 'old'),
      await tag(elsewhere, 'old'),
    ];
    const author = await world.user();
    const discussion = (groupId: number, tags: string[]) =>
      world.insert('discussions', { group_id: groupId, author_id: author, title: 't', tags });
    const [both, onlyOld, other] = [
      await discussion(group, ['x', 'old', 'new']),
      await discussion(group, ['old', 'y']),
      await discussion(elsewhere, ['old']),
    ];
    const poll = await world.insert('polls', {
      group_id: subgroup,
      author_id: author,
      title: 'p',
      poll_type: 'proposal',
      tags: ['old'],
    });

    const report = await new TagRename(db, 1).rename(group, 'old', 'new', '#00ff00');

    expect(report).toEqual({ discussions: 2, polls: 1, renamed: 1, merged: 1 });
    const tagsOf = async (table: string, id: number) =>
      ((await db.query(`SELECT tags FROM ${table} WHERE id = $1`, [id])) as { tags: string[] }[])[0].tags;
    expect(await tagsOf('discussions', both)).toEqual(['x', 'new']);
    expect(await tagsOf('discussions', onlyOld)).toEqual(['new', 'y']);
    expect(await tagsOf('discussions', other)).toEqual(['old']);
    expect(await tagsOf('polls', poll)).toEqual(['new']);
    const rows = await db.query(
      `SELECT id::int, name, color, taggings_count FROM tags WHERE id = ANY($1) ORDER BY id`,
      [[merged, kept, renamed, untouched]],
    );
    expect(rows).toEqual([
      { id: kept, name: 'new', color: '#00ff00', taggings_count: 2 },
      { id: renamed, name: 'new', color: '#00ff00', taggings_count: 1 },
      { id: untouched, name: 'old', color: 'red', taggings_count: 0 },
    ]);
    expect(await new TagRename(db).rename(group, 'old', 'new')).toEqual({
      discussions: 0,
      polls: 0,
      renamed: 0,
      merged: 0,
    });
  });
});
