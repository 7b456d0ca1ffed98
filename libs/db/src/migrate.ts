import { createDataSource } from './data-source';
import { AllEntities, AllMigrations } from './schema';

export interface MigrationReport {
  applied: string[];
  reverted?: string;
}

/** Applies every pending migration, each in its own transaction; returns the names applied. */
export async function migrateDatabase(url: string): Promise<MigrationReport> {
  const dataSource = createDataSource({ url, entities: AllEntities, migrations: AllMigrations });
  await dataSource.initialize();
  try {
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return { applied: applied.map((m) => m.name) };
  } finally {
    await dataSource.destroy();
  }
}

/** Reverts the most recently applied migration. */
export async function revertLastMigration(url: string): Promise<MigrationReport> {
  const dataSource = createDataSource({ url, entities: AllEntities, migrations: AllMigrations });
  await dataSource.initialize();
  try {
    const [last] = (await dataSource
      .query(`SELECT name FROM migrations ORDER BY id DESC LIMIT 1`)
      .catch(() => [])) as {
      name: string;
    }[];
    await dataSource.undoLastMigration({ transaction: 'each' });
    return { applied: [], reverted: last?.name };
  } finally {
    await dataSource.destroy();
  }
}
