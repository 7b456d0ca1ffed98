import pino from 'pino';
import type { DataSource } from 'typeorm';
import { createDataSource } from '@lib/db';
import { createMigratedTestDatabase, type TestDatabase } from '@lib/testing';
import { JobStatuses, JobStatusRecorder, type JobTransition } from '@lib/jetstream';

const Subject = 'jobs.recorderkit.work';

describe('JobStatusRecorder', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let statuses: JobStatuses;
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const settings = { flushEveryMs: 60_000, retentionMs: 7 * 24 * 3600_000, maxPending: 100 };

  beforeAll(async () => {
    database = await createMigratedTestDatabase();
    dataSource = await createDataSource({ url: database.url, applicationName: 'recorderkit' }).initialize();
    statuses = new JobStatuses(dataSource);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  const start = (id: string, at: number, attempt = 1): JobTransition => ({
    id,
    subject: Subject,
    state: 'processing',
    at,
    attempt,
    startedAt: at,
    enqueuedAt: at - 40,
  });
  const completed = (id: string, at: number): JobTransition => ({
    id,
    subject: Subject,
    state: 'completed',
    at,
    finishedAt: at,
    durationMs: 7,
  });

  it('writes a job that starts and completes between two flushes as one completed row carrying its start', async () => {
    const recorder = new JobStatusRecorder(dataSource, logger, settings);
    const at = Date.parse('2026-11-24T10:00:00.000Z');
    recorder.recordStart(start('quick', at, 2));
    recorder.record(completed('quick', at + 7));
    await recorder.flush();
    expect(await statuses.status('quick')).toMatchObject({
      state: 'completed',
      attempt: 2,
      enqueuedAt: new Date(at - 40),
      startedAt: new Date(at),
      finishedAt: new Date(at + 7),
      durationMs: 7,
      updatedAt: new Date(at + 7),
    });
  });

  it('shows a job still running at a flush as processing, and keeps its start when it completes', async () => {
    const recorder = new JobStatusRecorder(dataSource, logger, settings);
    const at = Date.parse('2026-11-24T10:01:00.000Z');
    recorder.recordStart(start('slow', at));
    await recorder.flush();
    expect(await statuses.status('slow')).toMatchObject({
      state: 'processing',
      attempt: 1,
      startedAt: new Date(at),
      finishedAt: null,
    });
    recorder.record(completed('slow', at + 5000));
    await recorder.flush();
    expect(await statuses.status('slow')).toMatchObject({
      state: 'completed',
      attempt: 1,
      enqueuedAt: new Date(at - 40),
      startedAt: new Date(at),
      finishedAt: new Date(at + 5000),
    });
  });

  it('keeps starts and ends while PostgreSQL refuses them, and writes them once it accepts again', async () => {
    const recorder = new JobStatusRecorder(dataSource, logger, settings);
    const at = Date.parse('2026-11-24T10:02:00.000Z');
    recorder.recordStart(start('kept-running', at));
    recorder.recordStart(start('kept-done', at));
    recorder.record(completed('kept-done', at + 3));
    await dataSource.query(`ALTER TABLE job_statuses RENAME TO job_statuses_away`);
    try {
      await recorder.flush();
    } finally {
      await dataSource.query(`ALTER TABLE job_statuses_away RENAME TO job_statuses`);
    }
    expect(await statuses.status('kept-running')).toBeNull();
    recorder.record(completed('kept-running', at + 9));
    await recorder.flush();
    expect(await statuses.status('kept-done')).toMatchObject({ state: 'completed', startedAt: new Date(at) });
    expect(await statuses.status('kept-running')).toMatchObject({
      state: 'completed',
      startedAt: new Date(at),
      finishedAt: new Date(at + 9),
    });
  });

  it('writes on stop what was recorded while a flush was writing', async () => {
    const recorder = new JobStatusRecorder(dataSource, logger, { ...settings, maxPending: 10_000 });
    const at = Date.parse('2026-11-24T10:03:00.000Z');
    for (let n = 0; n < 2000; n++) recorder.record(completed(`first-${n}`, at));
    const writing = recorder.flush();
    recorder.record(completed('after-the-flush-began', at + 1));
    await recorder.stop();
    await writing;
    expect(await statuses.status('first-1999')).toMatchObject({ state: 'completed' });
    expect(await statuses.status('after-the-flush-began')).toMatchObject({ state: 'completed' });
  });

  it("holds a publisher's enqueued report one timer flush, then writes it only where no row exists", async () => {
    const recorder = new JobStatusRecorder(dataSource, logger, settings);
    const at = Date.parse('2026-11-24T11:00:00.000Z');
    const enqueued = (id: string): JobTransition => ({
      id,
      subject: Subject,
      state: 'enqueued',
      at,
      enqueuedAt: at,
    });
    recorder.record(enqueued('waiting'));
    recorder.record(enqueued('ran-elsewhere'));
    await recorder.flush({ holdEnqueued: true });
    expect(await statuses.status('waiting')).toBeNull();
    // Meanwhile a worker in another process recorded one of them.
    const worker = new JobStatusRecorder(dataSource, logger, settings);
    worker.record({ ...completed('ran-elsewhere', at + 30), enqueuedAt: at + 1 });
    await worker.flush();
    await recorder.flush({ holdEnqueued: true });
    expect(await statuses.status('waiting')).toMatchObject({ state: 'enqueued', enqueuedAt: new Date(at) });
    expect(await statuses.status('ran-elsewhere')).toMatchObject({
      state: 'completed',
      enqueuedAt: new Date(at + 1),
      updatedAt: new Date(at + 30),
    });
  });

  it("merges a held enqueued report with this process's own later reports of the job, and flushes it on demand", async () => {
    const recorder = new JobStatusRecorder(dataSource, logger, settings);
    const at = Date.parse('2026-11-24T11:05:00.000Z');
    recorder.record({ id: 'same-process', subject: Subject, state: 'enqueued', at, enqueuedAt: at });
    recorder.record({ id: 'on-demand', subject: Subject, state: 'enqueued', at, enqueuedAt: at });
    await recorder.flush({ holdEnqueued: true });
    recorder.recordStart({ ...start('same-process', at + 20), enqueuedAt: undefined });
    recorder.record(completed('same-process', at + 27));
    await recorder.flush();
    expect(await statuses.status('same-process')).toMatchObject({
      state: 'completed',
      enqueuedAt: new Date(at),
      startedAt: new Date(at + 20),
    });
    expect(await statuses.status('on-demand')).toMatchObject({ state: 'enqueued' });
  });

  it('counts starts it cannot hold beyond maxPending as dropped', async () => {
    const recorder = new JobStatusRecorder(dataSource, logger, { ...settings, maxPending: 3 });
    const at = Date.now();
    for (let n = 0; n < 5; n++) recorder.recordStart(start(`full-${n}`, at));
    expect(recorder.dropped).toBe(2);
    await recorder.flush();
    expect(await statuses.status('full-2')).toMatchObject({ state: 'processing' });
    expect(await statuses.status('full-3')).toBeNull();
  });
});
