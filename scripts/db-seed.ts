/**
 * Fills a freshly migrated database with the demo: `npm run db:seed -- [--scale N] [--random-seed S]`.
 * Reads DATABASE_URL. Each unit of scale adds one community of ~50 users and ~4,000 rows.
 */
import 'reflect-metadata';
import { Command, InvalidArgumentError } from 'commander';
import { createDataSource } from '@lib/db/data-source';
import { DomainEntities } from '@lib/db/entities';
import { DomainModel1790000000000 } from '@lib/db/migrations/1790000000000-domain-model';
import { DEFAULT_RANDOM_SEED, seed } from '@lib/db/seed/seed';

function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new InvalidArgumentError('expected a positive integer');
  return parsed;
}

async function main(): Promise<void> {
  const options = new Command('db:seed')
    .description('Seed a freshly migrated database (DATABASE_URL) with a deterministic demo')
    .option('--scale <n>', 'number of demo communities (~4,000 rows each)', positiveInteger, 1)
    .option('--random-seed <n>', 'seed of the random generator', positiveInteger, DEFAULT_RANDOM_SEED)
    .parse()
    .opts<{ scale: number; randomSeed: number }>();

  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set, e.g. postgres://postgres@127.0.0.1:5432/loomio');

  const dataSource = createDataSource({
    url,
    entities: DomainEntities,
    migrations: [DomainModel1790000000000],
    applicationName: 'db-seed',
    poolSize: 1,
  });
  await dataSource.initialize();
  try {
    if (await dataSource.showMigrations()) {
      throw new Error('The domain model migration is not applied yet: run `npm run db:migrate` first');
    }
    const everyTenth = Math.max(1, Math.round(options.scale / 10));
    const report = await seed(dataSource, {
      scale: options.scale,
      randomSeed: options.randomSeed,
      onProgress: ({ communitiesDone, communities, elapsedMs }) => {
        if (communitiesDone % everyTenth === 0 || communitiesDone === communities) {
          console.log(`  ${communitiesDone}/${communities} communities (${(elapsedMs / 1000).toFixed(1)} s)`);
        }
      },
    });
    const width = Math.max(...Object.keys(report.rowsByTable).map((table) => table.length));
    for (const [table, rows] of Object.entries(report.rowsByTable).sort(([a], [b]) => a.localeCompare(b))) {
      console.log(`  ${table.padEnd(width)}  ${rows.toLocaleString('en-US').padStart(10)}`);
    }
    console.log(
      `Seeded ${report.totalRows.toLocaleString('en-US')} rows at scale ${report.scale} in ` +
        `${(report.durationMs / 1000).toFixed(1)} s (${report.rowsPerSecond.toLocaleString('en-US')} rows/s).`,
    );
  } finally {
    await dataSource.destroy();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
