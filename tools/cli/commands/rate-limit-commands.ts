import type { Command } from 'commander';
import { RateLimitAdmin } from '@lib/jetstream/rate-limit/rate-limit-admin';
import { globalOptions, withNats } from '../cli-context';
import { formatTimestamp, printJson, printLine, printTable } from '../output';

export function registerRateLimitCommands(program: Command): void {
  const limits = program
    .command('rate-limits')
    .description(
      'Rate-limit keys paused cluster-wide (ctx.pauseKey, e.g. after an HTTP 429); see docs/rate-limits.md',
    );

  limits
    .command('paused')
    .description('List the keys paused now, soonest to resume first')
    .action(async (_options: unknown, command: Command) => {
      const paused = await withNats(command, async ({ nc }) =>
        (await RateLimitAdmin.open(nc)).listPausedKeys(),
      );
      if (globalOptions(command).json) return printJson(paused);
      printTable(
        paused,
        [
          { header: 'CONSUMER', value: (p) => p.consumer },
          { header: 'KEY', value: (p) => p.key, maxWidth: 40 },
          { header: 'UNTIL (UTC)', value: (p) => formatTimestamp(p.until.toISOString()) },
          { header: 'REASON', value: (p) => p.reason ?? '', maxWidth: 40 },
        ],
        'no key is paused',
      );
    });

  limits
    .command('resume')
    .description('End the pause of a key now, for every worker')
    .argument('<consumer>', 'durable consumer, as listed by "rate-limits paused" (<app>__<subject>)')
    .argument('<key>', 'the rate-limit key, as listed')
    .action(async (consumer: string, key: string, _options: unknown, command: Command) => {
      await withNats(command, async ({ nc }) => (await RateLimitAdmin.open(nc)).resumeKey(consumer, key));
      if (globalOptions(command).json) return printJson({ consumer, key, resumed: true });
      printLine(`resumed ${key} of ${consumer}`);
    });
}
