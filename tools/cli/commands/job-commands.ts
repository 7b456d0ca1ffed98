import { Option, type Command } from 'commander';
import { createDataSource } from '@lib/db/data-source';
import { JobAdmin } from '@lib/jetstream/admin';
import { JobStatuses, type JobStatus } from '@lib/jetstream/lifecycle/job-statuses';
import { globalOptions, parseSequence, withNats } from '../cli-context';
import { CliError, ExitCode } from '../cli-errors';
import { formatTimestamp, printJson, printLine } from '../output';

export function registerJobCommands(program: Command): void {
  const jobs = program.command('jobs').description('Operate on the JOBS work queue');

  jobs
    .command('cancel')
    .description('Delete a queued job by its JOBS stream sequence, before a worker runs it')
    .argument('<seq>', 'JOBS stream sequence (the "seq" that publish printed)', parseSequence)
    .option('--force', 'also delete a job a worker already holds (that attempt finishes, no retry follows)')
    .action(async (seq: number, options: { force?: boolean }, command: Command) => {
      const cancelled = await withNats(command, ({ jsm }) => new JobAdmin(jsm).cancel(seq, options));
      if (globalOptions(command).json) return printJson(cancelled);
      printLine(`cancelled job ${seq}: ${cancelled.subject} (id ${cancelled.id ?? '-'})`);
      printLine(`  enqueued at ${formatTimestamp(cancelled.enqueuedAt)} UTC`);
      if (cancelled.releasedUniqueLock) printLine('  its uniqueness lock was released');
    });

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
      const dataSource = await createDataSource({
        url: options.database,
        applicationName: 'cli',
      }).initialize();
      let status: JobStatus | null;
      try {
        status = await new JobStatuses(dataSource).status(id);
      } finally {
        await dataSource.destroy();
      }
      if (!status)
        throw new CliError(
          `no status for job ${id} (unknown id, or older than the retention)`,
          ExitCode.notFound,
        );
      if (globalOptions(command).json) return printJson(status);
      printStatus(status);
    });
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
