import type { NatsConnection } from 'nats';
import type { DataSource } from 'typeorm';
import type { RunningService } from '@lib/jetstream';
import {
  startServiceUnderTest,
  startTestServers,
  waitFor,
  type NatsServerHandle,
  type TestDatabase,
  type TestServers,
} from '@lib/testing';
import { publishAndAwaitDeadLetter } from '../../janitor/test/job-harness';
import { ExporterConfigSchema } from '../src/config';
import { ExporterModule } from '../src/exporter.module';
import { GroupStatistics, previousWeekStarting } from '../src/statistics/group-statistics';

const Week = '2026-03-02'; // a Monday
const at = (day: number, hour = 12) => new Date(Date.UTC(2026, 2, 2 + day, hour));

describe('group-statistics (real NATS and PostgreSQL)', () => {
  let nats: NatsServerHandle;
  let database: TestDatabase;
  let servers: TestServers;
  let db: DataSource;
  let exporter: RunningService;
  let client: NatsConnection;

  beforeAll(async () => {
    servers = await startTestServers();
    ({ nats, database, db, client } = servers);
    exporter = await startServiceUnderTest({
      name: 'exporter',
      module: ExporterModule,
      configSchema: ExporterConfigSchema,
      natsUrl: nats.url,
      databaseUrl: database.url,
      env: { EXPORT_LINK_SECRET: 'x'.repeat(32) },
    });
  });

  afterAll(async () => {
    await exporter?.stop();
    await servers?.stop();
  });

  const insert = async (table: string, values: Record<string, unknown>): Promise<number> => {
    const columns = Object.keys(values);
    const [row] = await db.query(
      `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')}) RETURNING id`,
      Object.values(values),
    );
    return Number(row.id);
  };
  const statistics = () =>
    db.query(
      `SELECT group_id::int, to_char(week_starting, 'YYYY-MM-DD') AS week, members_count AS members,
              active_members_count AS active, discussions_count AS discussions, comments_count AS comments,
              polls_count AS polls, votes_count AS votes
       FROM group_statistics ORDER BY group_id, week_starting`,
    );

  it('knows the week that just ended', () => {
    expect(previousWeekStarting(new Date('2026-03-09T00:00:00Z'))).toBe('2026-03-02');
    expect(previousWeekStarting(new Date('2026-03-15T23:59:59Z'))).toBe('2026-03-02');
    expect(previousWeekStarting(new Date('2026-03-16T00:00:01Z'))).toBe('2026-03-09');
  });

  it('counts one week per group as of its end, once per (group, week), whatever the number of runs', async () => {
    const group = await insert('groups', { name: 'G' });
    const quiet = await insert('groups', { name: 'Quiet' });
    await insert('groups', { name: 'Archived', archived_at: at(1) });
    const user = () => insert('users', { email_verified: true });
    const [ann, bob, cat, dan, eve, outsider] = [
      await user(),
      await user(),
      await user(),
      await user(),
      await user(),
      await user(),
    ];
    for (const member of [ann, bob, cat]) {
      await insert('memberships', { group_id: group, user_id: member, accepted_at: at(-30) });
    }
    await insert('memberships', { group_id: group, user_id: dan, accepted_at: at(-30), revoked_at: at(3) });
    await insert('memberships', { group_id: group, user_id: eve, accepted_at: at(8) });
    await insert('memberships', { group_id: quiet, user_id: ann, accepted_at: at(-30) });
    const thread = await insert('discussions', {
      group_id: group,
      author_id: ann,
      title: 't',
      created_at: at(0, 0),
    });
    await insert('discussions', { group_id: group, author_id: ann, title: 'old', created_at: at(-1, 23) });
    await insert('comments', { discussion_id: thread, author_id: bob, body: 'b', created_at: at(6, 23) });
    await insert('comments', {
      discussion_id: thread,
      author_id: bob,
      body: 'next week',
      created_at: at(7, 0),
    });
    const poll = await insert('polls', {
      group_id: group,
      author_id: ann,
      title: 'p',
      poll_type: 'proposal',
      created_at: at(2),
    });
    await insert('stances', { poll_id: poll, participant_id: outsider, cast_at: at(3) });
    await insert('stances', { poll_id: poll, participant_id: cat, cast_at: at(-2) });

    const computed = new GroupStatistics(db, 1);
    expect(await computed.compute(Week)).toBe(2);
    const expected = [
      { group_id: group, week: Week, members: 3, active: 2, discussions: 1, comments: 1, polls: 1, votes: 1 },
      { group_id: quiet, week: Week, members: 1, active: 0, discussions: 0, comments: 0, polls: 0, votes: 0 },
    ];
    expect(await statistics()).toEqual(expected);
    const ids = await db.query(`SELECT id FROM group_statistics ORDER BY id`);

    // Redelivered: the same rows, the same numbers.
    await computed.compute(Week);
    expect(await statistics()).toEqual(expected);
    expect(await db.query(`SELECT id FROM group_statistics ORDER BY id`)).toEqual(ids);

    // As a job; a late comment of that week updates the row rather than adding one.
    await insert('comments', { discussion_id: thread, author_id: cat, body: 'late', created_at: at(5) });
    await client
      .jetstream()
      .publish('jobs.exporter.group-statistics', JSON.stringify({ weekStarting: Week }));
    await waitFor(async () => (await statistics())[0].comments === 2);
    expect(await statistics()).toEqual([{ ...expected[0], comments: 2, active: 3 }, expected[1]]);
    expect(await db.query(`SELECT id FROM group_statistics ORDER BY id`)).toEqual(ids);
  });

  it('dead-letters a week that does not start on a Monday, writing nothing', async () => {
    const before = await statistics();
    const letter = await publishAndAwaitDeadLetter(client, 'jobs.exporter.group-statistics', {
      weekStarting: '2026-03-03',
    });
    expect(letter.header.get('Dlq-Reason')).toBe('invalid-payload');
    expect(letter.header.get('Dlq-Error')).toMatch(/Monday/);
    expect(await statistics()).toEqual(before);
    await expect(new GroupStatistics(db).compute('2026-02-30')).rejects.toThrow(/not a Monday/);
  });
});
