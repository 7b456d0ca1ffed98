import { Option, type Command } from 'commander';
import type { DataSource } from 'typeorm';
import { Contracts } from '@lib/contracts';
import { createDataSource } from '@lib/db/data-source';
import { JobAdmin } from '@lib/jetstream/admin';
import { JobBatches } from '@lib/jetstream/lifecycle/job-batches';
import {
  JobCancellation,
  type BatchCancelResult,
  type CancelResult,
} from '@lib/jetstream/lifecycle/job-cancellation';
import { JobStatuses, type JobStatus } from '@lib/jetstream/lifecycle/job-statuses';
import { globalOptions, parseSequence, withNats } from '../cli-context';
import { CliError, ExitCode } from '../cli-errors';
import { formatTimestamp, printJson, printLine } from '../output';

export function registerJobCommands(program: Command): void {
  const jobs = program.command('jobs').description('Operate on the JOBS work queue');

  jobs
    .command('cancel')
    .description(
      'Cancel a job by its id: removed if delayed or waiting in the outbox, dropped at delivery if queued, ' +
        'its signal aborted if running; a finished job is left alone. A number is a JOBS stream sequence.',
    )
    .argument(
      '<id>',
      'job id (the ce-id that publish printed), a batch id with --batch, or a stream sequence',
    )
    .option('--batch', 'cancel every member of the batch <id> that has not finished')
    .option(
      '--seq <seq>',
      "the job's JOBS stream sequence, if known: a queued job is deleted at once",
      parseSequence,
    )
    .option('--force', 'with a stream sequence: also delete a job a worker already holds')
    .addOption(new Option('--database <url>', 'PostgreSQL URL (for a job id)').env('DATABASE_URL'))
    .action(
      async (
        id: string,
        options: { force?: boolean; batch?: boolean; seq?: number; database?: string },
        command: Command,
      ) => {
        const json = globalOptions(command).json;
        if (/^\d+$/.test(id) && !options.batch) {
          const seq = parseSequence(id);
          const cancelled = await withNats(command, ({ jsm }) => new JobAdmin(jsm).cancel(seq, options));
          if (json) return printJson(cancelled);
          printLine(`cancelled job ${seq}: ${cancelled.subject} (id ${cancelled.id ?? '-'})`);
          printLine(`  enqueued at ${formatTimestamp(cancelled.enqueuedAt)} UTC`);
          if (cancelled.releasedUniqueLock) printLine('  its uniqueness lock was released');
          return;
        }
        if (!options.database)
          throw new CliError('--database or DATABASE_URL is required', ExitCode.invalidInput);
        const result = await withDatabase(options.database, (dataSource) =>
          withNats(command, ({ js }): Promise<CancelResult | BatchCancelResult | null> => {
            const batches = new JobBatches(dataSource, Contracts, 'urn:loomio-workers:cli');
            const cancellation = new JobCancellation(dataSource, js, batches);
            if (options.batch) return cancellation.cancelBatch(id);
            return cancellation.cancel(id, { streamSequence: options.seq });
          }),
        );
        if (result === null) throw new CliError(`no batch ${id}`, ExitCode.notFound);
        if ('batchId' in result) return json ? printJson(result) : printBatchCancel(result);
        if (result.outcome === 'unknown')
          throw new CliError(
            `no job ${id} in job_statuses or the outbox (unknown id, a subject with trackStatus: false — ` +
              'cancel those by stream sequence — or older than the retention)',
            ExitCode.notFound,
          );
        if (json) return printJson(result);
        printCancel(result);
      },
    );

  jobs
    .command('show')
    .description(
      'Show the state of a job by the id enqueue returned (kept in job_statuses, 7 days by default)',
    )
    .argument('<id>', 'job id (the CloudEvents ce-id that publish printed)')
    .addOption(new Option('--database <url>', 'PostgreSQL URL').env('DATABASE_URL'))
    .action(async (id: string, options: { database?: string }, command: Command) => {
      if (!options.database)
        throw new CliError('--database or DATABASE_URL is required', ExitCode.invalidInput);
      const status = await withDatabase(options.database, (dataSource) =>
        new JobStatuses(dataSource).status(id),
      );
      if (!status)
        throw new CliError(
          `no status for job ${id} (unknown id, or older than the retention)`,
          ExitCode.notFound,
        );
      if (globalOptions(command).json) return printJson(status);
      printStatus(status);
    });

  jobs
    .command('batch')
    .description(
      'Show how far a batch got: members succeeded and failed of its total, and its first failures',
    )
    .argument('<id>', 'batch id (the id JobBatches.create returned)')
    .addOption(new Option('--database <url>', 'PostgreSQL URL').env('DATABASE_URL'))
    .action(async (id: string, options: { database?: string }, command: Command) => {
      if (!options.database)
        throw new CliError('--database or DATABASE_URL is required', ExitCode.invalidInput);
      const outcome = await withDatabase(options.database, (dataSource) =>
        new JobBatches(dataSource, Contracts, 'urn:loomio-workers:cli').outcome(id),
      );
      if (!outcome) throw new CliError(`no batch ${id}`, ExitCode.notFound);
      if (globalOptions(command).json) return printJson(outcome);
      printBatch(outcome);
    });
}

async function withDatabase<T>(url: string, work: (dataSource: DataSource) => Promise<T>): Promise<T> {
  const dataSource = await createDataSource({ url, applicationName: 'cli' }).initialize();
  try {
    return await work(dataSource);
  } finally {
    await dataSource.destroy();
  }
}

function printCancel(result: Exclude<CancelResult, { outcome: 'unknown' }>): void {
  if (result.outcome === 'already-final')
    return printLine(`job ${result.id} is already ${result.state}: nothing changed`);
  if (result.outcome === 'cancelled')
    return printLine(`cancelled job ${result.id} (was ${result.was}): removed before it was queued`);
  printLine(`cancelling job ${result.id} (was ${result.was})`);
  printLine('  a queued job is dropped at delivery; a running one has its signal aborted');
  printLine(`  \`jobs show ${result.id}\` says cancelled once a worker has done so`);
}

function printBatchCancel(result: BatchCancelResult): void {
  if (result.finished) return printLine(`batch ${result.batchId} has already finished: nothing changed`);
  printLine(`cancelling batch ${result.batchId}`);
  printLine(`  ${result.removed} member(s) removed before they were queued`);
  printLine('  members queued or running are dropped at delivery or have their signal aborted');
}

function printBatch(outcome: NonNullable<Awaited<ReturnType<JobBatches['outcome']>>>): void {
  const finished = outcome.finishedAt
    ? `finished ${formatTimestamp(outcome.finishedAt.toISOString())} UTC`
    : 'running';
  printLine(`batch ${outcome.batchId}: ${outcome.name} (${finished})`);
  printLine(`  total        ${outcome.total}`);
  printLine(`  succeeded    ${outcome.succeeded}`);
  printLine(`  failed       ${outcome.failed}`);
  for (const failure of outcome.failures)
    printLine(`  ${failure.state.padEnd(12)} ${failure.jobId} ${failure.subject}: ${failure.error ?? '-'}`);
}

function printStatus(status: JobStatus): void {
  const at = (date: Date | null) => (date ? `${formatTimestamp(date.toISOString())} UTC` : '-');
  const retry =
    status.state === 'retrying' ? ` (attempt ${status.attempt}, next at ${at(status.nextAttemptAt)})` : '';
  printLine(`job ${status.id}: ${status.subject}`);
  printLine(`  state        ${status.state}${retry}`);
  printLine(`  attempt      ${status.attempt}`);
  if (status.scheduledFor) printLine(`  scheduled    ${at(status.scheduledFor)}`);
  printLine(`  enqueued     ${at(status.enqueuedAt)}`);
  printLine(`  started      ${at(status.startedAt)}`);
  printLine(`  finished     ${at(status.finishedAt)}`);
  printLine(`  duration     ${status.durationMs === null ? '-' : `${status.durationMs} ms`}`);
  printLine(`  last error   ${status.lastError ?? '-'}`);
  printLine(`  updated      ${at(status.updatedAt)}`);
}
