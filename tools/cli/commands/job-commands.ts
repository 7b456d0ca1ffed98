import type { Command } from 'commander';
import { JobAdmin } from '@lib/jetstream/admin';
import { globalOptions, parseSequence, withNats } from '../cli-context';
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
}
