import type { DataSource } from 'typeorm';
import { createDataSource } from '@lib/db';

/** Orchestrator side of `ours+statuses`: an empty `job_statuses` before each run, its rows counted after. */

async function withDatabase<T>(url: string, work: (dataSource: DataSource) => Promise<T>): Promise<T> {
  const dataSource = await createDataSource({ url, entities: [], migrations: [] }).initialize();
  try {
    return await work(dataSource);
  } finally {
    await dataSource.destroy();
  }
}

export function emptyJobStatuses(url: string): Promise<void> {
  return withDatabase(url, async (db) => {
    await db.query('TRUNCATE job_statuses');
  });
}

/** Rows in `job_statuses`, waiting up to `timeoutMs` for `expected` (the recorder writes in batches). */
export function countJobStatuses(url: string, expected: number, timeoutMs: number): Promise<number> {
  return withDatabase(url, async (db) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const [{ count }] = (await db.query(`SELECT count(*)::int AS count FROM job_statuses`)) as {
        count: number;
      }[];
      if (count >= expected || Date.now() > deadline) return count;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  });
}
