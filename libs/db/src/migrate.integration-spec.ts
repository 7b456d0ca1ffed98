import { createTestDatabase, type TestDatabase } from '@lib/testing';
import { createDataSource } from './data-source';
import { migrateDatabase, revertLastMigration } from './migrate';
import { AllEntities, AllMigrations } from './schema';

describe('the migrations of every service', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
  });

  afterAll(async () => {
    await database?.drop();
  });

  it('build from empty exactly the schema the entities describe, and come down again', async () => {
    expect((await migrateDatabase(database.url)).applied).toEqual(AllMigrations.map((m) => new m().name));
    expect((await migrateDatabase(database.url)).applied).toEqual([]);
    const dataSource = await createDataSource({
      url: database.url,
      entities: AllEntities,
      migrations: AllMigrations,
    }).initialize();
    try {
      const pending = await dataSource.driver.createSchemaBuilder().log();
      expect(pending.upQueries.map((q) => q.query)).toEqual([]);
    } finally {
      await dataSource.destroy();
    }
    for (let i = 0; i < AllMigrations.length; i++) await revertLastMigration(database.url);
    const probe = await createDataSource({ url: database.url }).initialize();
    try {
      const tables = (await probe.query(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'migrations'`,
      )) as unknown[];
      expect(tables).toEqual([]);
    } finally {
      await probe.destroy();
    }
  });
});
