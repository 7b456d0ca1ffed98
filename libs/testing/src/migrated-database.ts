import type { DataSource } from 'typeorm';
import { AllEntities, AllMigrations, createDataSource, migrateDatabase } from '@lib/db';
import { createTestDatabase, type TestDatabase, type TestDatabaseOptions } from './test-database';

/** A private database with every migration applied, as a service expects it at boot. */
export async function createMigratedTestDatabase(options: TestDatabaseOptions = {}): Promise<TestDatabase> {
  const database = await createTestDatabase(options);
  try {
    await migrateDatabase(database.url);
  } catch (error) {
    await database.drop();
    throw error;
  }
  return database;
}

/** A DataSource with every entity, connected to a (migrated) test database. */
export function openTestDataSource(url: string): Promise<DataSource> {
  return createDataSource({ url, entities: AllEntities, migrations: AllMigrations }).initialize();
}
