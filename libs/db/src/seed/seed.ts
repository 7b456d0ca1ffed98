import type { DataSource, QueryRunner } from 'typeorm';
import { DomainEntities, SearchDocument } from '../entities';
import { BulkWriter } from './bulk-writer';
import { SeededRandom } from './random';
import { SeedContext } from './seed-context';
import { seedChatbots } from './seed-integrations';
import { seedBlockedDomains, seedOperations } from './seed-operations';
import { seedPeople } from './seed-people';
import { seedThreads } from './seed-threads';

export interface SeedOptions {
  /** Number of demo communities; each is ~50 users and ~4,000 rows in all. Default 1. */
  scale?: number;
  /** The instant the demo is built around (polls closing within the hour, reviews due today...). Default now. */
  now?: Date;
  /** Seed of the PRNG: the same seed, scale and `now` give the same rows. */
  randomSeed?: number;
  /** Rows per INSERT statement. */
  batchSize?: number;
  onProgress?: (progress: SeedProgress) => void;
}

export interface SeedProgress {
  communitiesDone: number;
  communities: number;
  elapsedMs: number;
}

export interface SeedReport {
  scale: number;
  rowsByTable: Record<string, number>;
  totalRows: number;
  durationMs: number;
  rowsPerSecond: number;
}

export const DEFAULT_RANDOM_SEED = 20_260_611;

/**
 * Fills a freshly migrated database with a deterministic demo: communities of groups and subgroups, members
 * in many time zones, threads, polls in every state the workers care about, tasks, chatbots and more.
 *
 * Runs in one transaction (all or nothing) and refuses tables that already hold rows: ids are chosen by
 * the seed so rows can reference each other before they are written, and the identity sequences are moved
 * past them at the end.
 */
export async function seed(dataSource: DataSource, options: SeedOptions = {}): Promise<SeedReport> {
  const scale = options.scale ?? 1;
  if (!Number.isInteger(scale) || scale < 1)
    throw new Error(`scale must be a positive integer, got ${scale}`);
  const startedAt = Date.now();
  const queryRunner = dataSource.createQueryRunner();
  await queryRunner.connect();
  try {
    await queryRunner.startTransaction();
    await assertEmpty(dataSource, queryRunner);
    const writer = new BulkWriter(dataSource, queryRunner, options.batchSize);
    writer.derive(SearchDocument, { tsContent: (column) => `to_tsvector('simple', ${column('content')})` });
    const ctx = new SeedContext(
      new SeededRandom(options.randomSeed ?? DEFAULT_RANDOM_SEED),
      writer,
      options.now ?? new Date(),
    );

    await seedBlockedDomains(ctx);
    for (let unit = 0; unit < scale; unit++) {
      const community = await seedPeople(ctx, unit);
      await seedChatbots(ctx, community);
      const notified = await seedThreads(ctx, community);
      await seedOperations(ctx, community, notified);
      options.onProgress?.({
        communitiesDone: unit + 1,
        communities: scale,
        elapsedMs: Date.now() - startedAt,
      });
    }
    await writer.flush();
    await moveSequencesPast(dataSource, queryRunner, ctx);
    await queryRunner.commitTransaction();

    const rowsByTable = writer.rowCounts();
    const totalRows = Object.values(rowsByTable).reduce((sum, rows) => sum + rows, 0);
    const durationMs = Date.now() - startedAt;
    return {
      scale,
      rowsByTable,
      totalRows,
      durationMs,
      rowsPerSecond: Math.round((totalRows * 1000) / durationMs),
    };
  } catch (error) {
    if (queryRunner.isTransactionActive) await queryRunner.rollbackTransaction();
    throw error;
  } finally {
    await queryRunner.release();
  }
}

async function assertEmpty(dataSource: DataSource, queryRunner: QueryRunner): Promise<void> {
  for (const entity of DomainEntities) {
    const { tableName } = dataSource.getMetadata(entity);
    const rows: unknown[] = await queryRunner.query(`SELECT 1 FROM "${tableName}" LIMIT 1`);
    if (rows.length > 0) {
      throw new Error(
        `The seed needs empty tables, but "${tableName}" has rows: seed a freshly migrated database`,
      );
    }
  }
}

/** Later inserts that let the database pick ids must not collide with the seeded ones. */
async function moveSequencesPast(
  dataSource: DataSource,
  queryRunner: QueryRunner,
  ctx: SeedContext,
): Promise<void> {
  for (const [entity, highestId] of ctx.highestIds()) {
    const { tableName } = dataSource.getMetadata(entity);
    await queryRunner.query(`SELECT setval(pg_get_serial_sequence($1, 'id'), $2)`, [
      `"${tableName}"`,
      highestId,
    ]);
  }
}
