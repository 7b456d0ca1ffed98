import 'reflect-metadata';
import type { DataSource } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '@lib/testing';
import { createDataSource } from '../data-source';
import { AllEntities, AllMigrations } from '../schema';
import { DomainModelTables } from '../migrations/1790000000000-domain-model';
import { ActivityEvent, DomainEntities, Poll, User } from './index';

/** Indexes TypeORM cannot declare (GIN); the entities mark them `synchronize: false`, the migration owns them. */
const MIGRATION_ONLY_INDEXES = ['IDX_discussions_tags', 'IDX_polls_tags', 'IDX_search_documents_ts_content'];

describe('the domain model (every migration, every entity)', () => {
  let database: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = createDataSource({
      url: database.url,
      entities: AllEntities,
      migrations: AllMigrations,
    });
    await dataSource.initialize();
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  it('creates a table for every SPEC entity, and exactly the schema all entities describe', async () => {
    await dataSource.runMigrations({ transaction: 'all' });

    const entityTables = DomainEntities.map((entity) => dataSource.getMetadata(entity).tableName);
    expect([...DomainModelTables].sort()).toEqual([...entityTables].sort());
    // Whatever TypeORM would still have to change is a difference between the migrations and the entities.
    const pending = await dataSource.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((query) => query.query)).toEqual([]);

    const indexes: Array<{ indexname: string; indexdef: string }> = await dataSource.query(
      `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND indexname = ANY($1)`,
      [MIGRATION_ONLY_INDEXES],
    );
    expect(indexes.map((index) => index.indexname).sort()).toEqual([...MIGRATION_ONLY_INDEXES].sort());
    for (const index of indexes) expect(index.indexdef).toContain('USING gin');
  });

  it('serves the workers’ hot queries from their partial indexes', async () => {
    const plan = await explain(
      dataSource,
      `SELECT id FROM polls WHERE closing_at <= now() AND closed_at IS NULL AND discarded_at IS NULL`,
    );
    expect(plan).toContain('IDX_polls_open_closing_at');
    expect(
      await explain(
        dataSource,
        `SELECT id FROM tasks WHERE remind_at <= now() AND reminded_at IS NULL AND done = false`,
      ),
    ).toContain('IDX_tasks_remind_at_pending');
    expect(await explain(dataSource, `SELECT id FROM outcomes WHERE review_on <= current_date`)).toContain(
      'IDX_outcomes_review_on',
    );
  });

  it('maps bigint ids and id arrays to numbers, and enforces the value ranges', async () => {
    const user = await dataSource.getRepository(User).save({ name: 'Ana Silva', email: 'ana@example.org' });
    expect(typeof user.id).toBe('number');
    const event = await dataSource.getRepository(ActivityEvent).save({
      kind: 'poll_closing_soon',
      userId: user.id,
      recipientChatbotIds: [3, 9_007_199_254_740_991],
    });

    const loaded = await dataSource.getRepository(ActivityEvent).findOneByOrFail({ id: event.id });
    expect(loaded).toMatchObject({
      userId: user.id,
      recipientChatbotIds: [3, 9_007_199_254_740_991],
      sequenceId: null,
    });
    expect(typeof loaded.id).toBe('number');

    await expect(
      dataSource.getRepository(User).save({ email: 'bo@example.org', emailCatchUpDay: 9 as 8 }),
    ).rejects.toThrow(/CHK_users_email_catch_up_day/);
    await expect(
      dataSource
        .getRepository(Poll)
        .save({ title: 'Budget', pollType: 'proposal', authorId: user.id, notifyOnClosingSoon: 4 as 3 }),
    ).rejects.toThrow(/CHK_polls_notify_on_closing_soon/);
  });

  it('reverts every migration, down to an empty schema', async () => {
    for (let i = 0; i < AllMigrations.length; i++) await dataSource.undoLastMigration({ transaction: 'all' });

    const tables: Array<{ table_name: string }> = await dataSource.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`,
    );
    // TypeORM's own bookkeeping table is all that is left.
    expect(tables.map((table) => table.table_name)).toEqual(['migrations']);
    const types: Array<{ typname: string }> = await dataSource.query(
      `SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
       WHERE n.nspname = 'public' AND t.typtype = 'e'`,
    );
    expect(types).toEqual([]);
  });
});

async function explain(dataSource: DataSource, sql: string): Promise<string> {
  // The tables are nearly empty, so a sequential scan would win on cost; the question is whether the index fits.
  await dataSource.query('SET enable_seqscan = off');
  try {
    const rows: Array<{ 'QUERY PLAN': string }> = await dataSource.query(`EXPLAIN ${sql}`);
    return rows.map((row) => row['QUERY PLAN']).join('\n');
  } finally {
    await dataSource.query('SET enable_seqscan = on');
  }
}
