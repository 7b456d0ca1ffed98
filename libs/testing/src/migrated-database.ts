import { migrateDatabase } from '@lib/db';
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
