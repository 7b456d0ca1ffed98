import type { Command } from 'commander';
import { Contracts, CronTable } from '@lib/contracts';
import { planCronTable } from '@lib/jetstream/cron/cron-plan';
import { CronScheduler } from '@lib/jetstream/cron/cron-scheduler';
import { openCronState } from '@lib/jetstream/cron/cron-state';
import { JetStreamPublisher } from '@lib/jetstream/publisher';
import pino from 'pino';
import { CliError, ExitCode } from '../cli-errors';
import { globalOptions, withNats } from '../cli-context';
import { formatTimestamp, printJson, printLine, printTable } from '../output';
import { CliSource } from './publish-command';

type Work<T> = (scheduler: CronScheduler) => Promise<T>;

/** The same scheduler logic as apps/scheduler, on the shared cron state; it never ticks here. */
function withCron<T>(command: Command, work: Work<T>): Promise<T> {
  return withNats(command, async ({ nc, js }) => {
    const publisher = new JetStreamPublisher(js, Contracts, CliSource);
    const scheduler = new CronScheduler(
      planCronTable(CronTable),
      await openCronState(nc),
      async (entry, id) => {
        await publisher.publish(entry.subject as never, entry.payload as never, { id });
      },
      pino({ level: 'silent' }),
    );
    return work(scheduler);
  });
}

function knownEntry(name: string): string {
  if (!CronTable.some((entry) => entry.name === name)) {
    throw new CliError(
      `no cron entry "${name}"; known: ${CronTable.map((entry) => entry.name).join(', ')}`,
      ExitCode.notFound,
    );
  }
  return name;
}

export function registerCronCommands(program: Command): void {
  const cron = program
    .command('cron')
    .description('The cron table: last and next runs, run now, pause, resume');

  cron
    .command('list')
    .description('Every entry with its schedule, zone, last run and next run')
    .action(async (_options: unknown, command: Command) => {
      const entries = await withCron(command, (scheduler) => scheduler.status());
      if (globalOptions(command).json) return printJson(entries);
      printTable(
        entries,
        [
          { header: 'NAME', value: (e) => e.name },
          { header: 'SCHEDULE', value: (e) => e.schedule },
          { header: 'ZONE', value: (e) => e.timeZone },
          { header: 'SUBJECT', value: (e) => e.subject },
          { header: 'LAST RUN (UTC)', value: (e) => (e.lastRun ? formatTimestamp(e.lastRun) : 'never') },
          { header: 'NEXT RUN (UTC)', value: (e) => (e.paused ? 'paused' : formatTimestamp(e.nextRun)) },
        ],
        'the cron table is empty',
      );
    });

  cron
    .command('run')
    .description('Publish an entry now, outside its schedule (its slots are unaffected)')
    .argument('<name>', 'cron entry name', knownEntry)
    .action(async (name: string, _options: unknown, command: Command) => {
      const id = await withCron(command, (scheduler) => scheduler.runNow(name));
      if (globalOptions(command).json) return printJson({ name, id });
      printLine(`published ${name} as ${id}`);
    });

  for (const [verb, paused] of [
    ['pause', true],
    ['resume', false],
  ] as const) {
    cron
      .command(verb)
      .description(
        paused
          ? 'Stop publishing an entry (for every scheduler)'
          : 'Publish an entry again from its next slot',
      )
      .argument('<name>', 'cron entry name', knownEntry)
      .action(async (name: string, _options: unknown, command: Command) => {
        await withCron(command, (scheduler) => scheduler.setPaused(name, paused));
        if (globalOptions(command).json) return printJson({ name, paused });
        printLine(`${name} ${paused ? 'paused' : 'resumed'}`);
      });
  }
}
