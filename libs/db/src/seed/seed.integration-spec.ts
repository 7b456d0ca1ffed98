import 'reflect-metadata';
import type { DataSource } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '@lib/testing';
import { createDataSource } from '../data-source';
import { AllEntities, AllMigrations } from '../schema';
import { CHATBOT_KINDS } from '../entities';
import { DomainModelTables } from '../migrations/1790000000000-domain-model';
import { seed, type SeedReport } from './seed';

/** A fixed clock keeps the run reproducible; 10:17 UTC on a Wednesday, away from midnight. */
const now = new Date('2026-03-04T10:17:00.000Z');

async function migratedDatabase(): Promise<{ database: TestDatabase; dataSource: DataSource }> {
  const database = await createTestDatabase();
  const dataSource = createDataSource({
    url: database.url,
    entities: AllEntities,
    migrations: AllMigrations,
  });
  await dataSource.initialize();
  await dataSource.runMigrations();
  return { database, dataSource };
}

async function close(handle?: { database: TestDatabase; dataSource: DataSource }): Promise<void> {
  await handle?.dataSource.destroy();
  await handle?.database.drop();
}

describe('seed', () => {
  let demo: { database: TestDatabase; dataSource: DataSource };
  let report: SeedReport;

  /** The single number a query returns. */
  const count = async (sql: string, parameters: unknown[] = []): Promise<number> => {
    const [row] = await demo.dataSource.query(sql, parameters);
    return Number(Object.values(row as object)[0]);
  };

  beforeAll(async () => {
    demo = await migratedDatabase();
    report = await seed(demo.dataSource, { scale: 1, now });
  });

  afterAll(() => close(demo));

  it('writes every table', () => {
    for (const table of DomainModelTables) expect(report.rowsByTable[table]).toBeGreaterThan(0);
    expect(report.totalRows).toBeGreaterThan(3_000);
  });

  it('has groups with subgroups, ~50 members and every catch-up setting in many zones', async () => {
    expect(await count(`SELECT count(*) FROM groups WHERE parent_id IS NULL`)).toBeGreaterThanOrEqual(3);
    expect(await count(`SELECT count(*) FROM groups WHERE parent_id IS NOT NULL`)).toBeGreaterThanOrEqual(3);
    expect(await count(`SELECT count(*) FROM groups WHERE archived_at IS NOT NULL`)).toBeGreaterThanOrEqual(
      1,
    );
    expect(await count(`SELECT count(*) FROM users`)).toBe(50);

    const zones: Array<{ time_zone: string | null }> = await demo.dataSource.query(
      `SELECT DISTINCT time_zone FROM users`,
    );
    expect(zones.length).toBeGreaterThanOrEqual(4);
    expect(zones.map((zone) => zone.time_zone)).toEqual(expect.arrayContaining(['Asia/Kolkata', null]));

    const settings: Array<{ day: number | null }> = await demo.dataSource.query(
      `SELECT DISTINCT email_catch_up_day AS day FROM users ORDER BY 1`,
    );
    expect(settings.map((setting) => setting.day)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, null]);
    expect(await count(`SELECT count(*) FROM users WHERE deactivated_at IS NOT NULL`)).toBeGreaterThanOrEqual(
      2,
    );
    expect(await count(`SELECT count(*) FROM users WHERE email IS NULL AND email_sha256 IS NOT NULL`)).toBe(
      1,
    );
  });

  it('has polls in every state the poller and notifier act on', async () => {
    const open = `closed_at IS NULL AND discarded_at IS NULL`;
    expect(
      await count(
        `SELECT count(*) FROM polls WHERE ${open} AND closing_at > $1 AND closing_at <= $1::timestamptz + interval '1 hour'`,
        [now],
      ),
    ).toBeGreaterThanOrEqual(1);
    expect(
      await count(
        `SELECT count(*) FROM polls WHERE ${open} AND notify_on_closing_soon > 0
           AND closing_at >= $1::timestamptz + interval '24 hours' AND closing_at < $1::timestamptz + interval '25 hours'
           AND closing_soon_notified_for IS DISTINCT FROM closing_at`,
        [now],
      ),
    ).toBeGreaterThanOrEqual(2);
    expect(
      await count(`SELECT count(*) FROM polls WHERE ${open} AND closing_at <= $1`, [now]),
    ).toBeGreaterThanOrEqual(1);
    expect(await count(`SELECT count(*) FROM polls WHERE closed_at IS NOT NULL`)).toBeGreaterThanOrEqual(5);
    expect(await count(`SELECT count(*) FROM polls WHERE anonymous AND ${open}`)).toBeGreaterThanOrEqual(1);
    expect(await count(`SELECT count(DISTINCT hide_results) FROM polls`)).toBe(3);
    expect(await count(`SELECT count(DISTINCT notify_on_closing_soon) FROM polls`)).toBe(4);
    // A closed anonymous poll has forgotten its participants.
    expect(
      await count(
        `SELECT count(*) FROM stances s JOIN polls p ON p.id = s.poll_id
         WHERE p.anonymous AND p.closed_at IS NOT NULL AND s.participant_id IS NOT NULL`,
      ),
    ).toBe(0);
    expect(await count(`SELECT count(*) FROM stances WHERE latest AND cast_at IS NOT NULL`)).toBeGreaterThan(
      0,
    );
    expect(await count(`SELECT count(*) FROM stances WHERE latest AND cast_at IS NULL`)).toBeGreaterThan(0);
    expect(await count(`SELECT count(*) FROM stances WHERE NOT latest`)).toBeGreaterThan(0);
    expect(await count(`SELECT count(*) FROM stances WHERE revoked_at IS NOT NULL`)).toBeGreaterThan(0);
  });

  it('keeps the stored poll counts equal to the stances', async () => {
    const mismatched = await count(`
      SELECT count(*) FROM polls p
      JOIN LATERAL (
        SELECT count(*) FILTER (WHERE cast_at IS NOT NULL) AS voters, count(*) FILTER (WHERE cast_at IS NULL) AS undecided
        FROM stances s WHERE s.poll_id = p.id AND s.latest AND s.revoked_at IS NULL
      ) actual ON true
      WHERE p.voters_count <> actual.voters OR p.undecided_count <> actual.undecided
         OR p.stances_count <> actual.voters + actual.undecided`);
    expect(mismatched).toBe(0);
    const optionMismatches = await count(`
      SELECT count(*) FROM poll_options o
      JOIN LATERAL (
        SELECT coalesce(sum(c.score), 0) AS total FROM stance_choices c JOIN stances s ON s.id = c.stance_id
        WHERE c.poll_option_id = o.id AND s.latest AND s.revoked_at IS NULL
      ) actual ON true
      WHERE o.total_score <> actual.total`);
    expect(optionMismatches).toBe(0);
  });

  it('has outcomes to review in the past, today and later, and a meeting date', async () => {
    const today = now.toISOString().slice(0, 10);
    const due = `review_notified_for IS DISTINCT FROM review_on`;
    expect(
      await count(`SELECT count(*) FROM outcomes WHERE review_on < $1 AND ${due}`, [today]),
    ).toBeGreaterThanOrEqual(1);
    expect(
      await count(`SELECT count(*) FROM outcomes WHERE review_on = $1 AND ${due}`, [today]),
    ).toBeGreaterThanOrEqual(1);
    expect(await count(`SELECT count(*) FROM outcomes WHERE review_on > $1`, [today])).toBeGreaterThanOrEqual(
      1,
    );
    expect(
      await count(`SELECT count(*) FROM outcomes WHERE review_on = review_notified_for`),
    ).toBeGreaterThanOrEqual(1);
    expect(
      await count(
        `SELECT count(*) FROM outcomes WHERE poll_option_id IS NOT NULL AND event_summary IS NOT NULL`,
      ),
    ).toBeGreaterThanOrEqual(1);
  });

  it('has task reminders due, sent and still to come, chatbots of each kind and login tokens', async () => {
    const pending = `reminded_at IS NULL AND done = false`;
    expect(
      await count(`SELECT count(*) FROM tasks WHERE ${pending} AND remind_at <= $1`, [now]),
    ).toBeGreaterThanOrEqual(1);
    expect(
      await count(`SELECT count(*) FROM tasks WHERE ${pending} AND remind_at > $1`, [now]),
    ).toBeGreaterThanOrEqual(1);
    expect(await count(`SELECT count(*) FROM tasks WHERE reminded_at IS NOT NULL`)).toBeGreaterThanOrEqual(1);
    expect(
      await count(
        `SELECT count(*) FROM tasks t WHERE NOT EXISTS (SELECT 1 FROM tasks_users a WHERE a.task_id = t.id)`,
      ),
    ).toBe(0);

    expect(await count(`SELECT count(*) FROM events WHERE recipient_chatbot_ids <> '{}'`)).toBeGreaterThan(0);
    const kinds: Array<{ kind: string }> = await demo.dataSource.query(
      `SELECT DISTINCT kind::text AS kind FROM chatbots ORDER BY 1`,
    );
    expect(kinds.map((row) => row.kind)).toEqual([...CHATBOT_KINDS].sort());
    expect(
      await count(
        `SELECT count(*) FROM login_tokens WHERE created_at < $1::timestamptz - interval '1 hour'`,
        [now],
      ),
    ).toBeGreaterThan(0);
    expect(
      await count(
        `SELECT count(*) FROM login_tokens WHERE created_at >= $1::timestamptz - interval '1 hour'`,
        [now],
      ),
    ).toBeGreaterThan(0);
  });

  it('numbers every thread from its root, within reach of the readers', async () => {
    expect(
      await count(`SELECT count(*) FROM discussions d WHERE NOT EXISTS (
        SELECT 1 FROM events e WHERE e.discussion_id = d.id AND e.sequence_id = 0 AND e.kind = 'new_discussion')`),
    ).toBe(0);
    expect(
      await count(`SELECT count(*) FROM discussions d WHERE d.last_sequence_id <>
        (SELECT max(sequence_id) FROM events e WHERE e.discussion_id = d.id)`),
    ).toBe(0);
    expect(
      await count(`SELECT count(*) FROM events WHERE discussion_id IS NOT NULL AND sequence_id IS NULL`),
    ).toBe(0);
    expect(
      await count(
        `SELECT count(*) FROM events e JOIN discussions d ON d.id = e.discussion_id WHERE e.depth > d.max_depth`,
      ),
    ).toBe(0);
    expect(
      await count(`SELECT count(*) FROM discussion_readers r JOIN discussions d ON d.id = r.discussion_id,
        jsonb_array_elements(r.read_ranges) AS range WHERE (range->>1)::int > d.last_sequence_id`),
    ).toBe(0);
    expect(await count(`SELECT count(*) FROM search_documents WHERE ts_content IS NULL`)).toBe(0);
  });

  it('leaves the identity sequences past the seeded ids and refuses to seed twice', async () => {
    const [inserted]: Array<{ id: string }> = await demo.dataSource.query(
      `INSERT INTO users (email) VALUES ('late.arrival@example.org') RETURNING id`,
    );
    expect(Number(inserted.id)).toBe(51);
    await expect(seed(demo.dataSource, { now })).rejects.toThrow(/needs empty tables, but "users" has rows/);
  });

  it('writes the same rows for the same random seed and clock', async () => {
    const other = await migratedDatabase();
    try {
      await seed(other.dataSource, { scale: 1, now });
      // The extra user the previous test inserted is left out of the comparison.
      const fingerprint = (dataSource: DataSource): Promise<Array<{ digest: string }>> =>
        Promise.all(
          DomainModelTables.map(async (table) => {
            const [row] = await dataSource.query(
              `SELECT md5(string_agg(t::text, '|' ORDER BY id)) AS digest FROM "${table}" t WHERE id <= $1`,
              [table === 'users' ? 50 : Number.MAX_SAFE_INTEGER],
            );
            return row as { digest: string };
          }),
        );
      expect(await fingerprint(other.dataSource)).toEqual(await fingerprint(demo.dataSource));
    } finally {
      await close(other);
    }
  });
});

describe('seed --scale', () => {
  it('multiplies the demo and reports its throughput', async () => {
    const handle = await migratedDatabase();
    try {
      const single = 3_000;
      const report = await seed(handle.dataSource, { scale: 20, now });
      expect(report.totalRows).toBeGreaterThan(20 * single);
      expect(await handle.dataSource.query(`SELECT count(*)::int AS users FROM users`)).toEqual([
        { users: 1_000 },
      ]);
      const secondsPerMillion = 1_000_000 / report.rowsPerSecond;
      console.log(
        `seed --scale 20: ${report.totalRows} rows in ${(report.durationMs / 1000).toFixed(1)} s ` +
          `= ${report.rowsPerSecond} rows/s (1M rows ~ ${secondsPerMillion.toFixed(0)} s, scale ~${Math.round(
            (1_000_000 / report.totalRows) * 20,
          )})`,
      );
    } finally {
      await close(handle);
    }
  });
});
