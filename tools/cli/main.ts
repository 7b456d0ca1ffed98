/**
 * Operator CLI: `npm run cli -- <command>` (see `--help`). Talks to NATS_URL, or --server.
 * Output is an aligned table for people, or JSON with --json for scripts.
 *
 * The commands import @lib/jetstream's modules directly rather than its index, which loads Nest and the
 * worker runtime: start-up time that a one-shot command does not need.
 */
import { Command, Option } from 'commander';
import { DefaultNatsUrl } from './cli-context';
import { ExitCode, reportError } from './cli-errors';
import { registerContractsCommand } from './commands/contracts-command';
import { registerCronCommands } from './commands/cron-commands';
import { registerDeadLetterCommands } from './commands/dead-letter-commands';
import { registerJobCommands } from './commands/job-commands';
import { registerPublishCommand } from './commands/publish-command';
import { registerRateLimitCommands } from './commands/rate-limit-commands';
import { registerStreamCommands } from './commands/stream-commands';

export function buildProgram(): Command {
  const program = new Command('cli')
    .description(
      'Operate the loomio-workers NATS JetStream setup: publish, dead letters, streams, jobs, cron',
    )
    .addOption(new Option('-s, --server <url>', 'NATS server URL').env('NATS_URL').default(DefaultNatsUrl))
    .option('--json', 'machine-readable JSON output')
    .configureHelp({ showGlobalOptions: true })
    .showHelpAfterError('(add --help for usage)')
    // Settings above and the override below are inherited by the subcommands registered after them.
    .exitOverride()
    .addHelpText(
      'after',
      `\nExit codes: ${ExitCode.ok} ok, ${ExitCode.failure} failure (NATS unreachable, retry failed, ...), ` +
        `${ExitCode.invalidInput} invalid input or usage, ${ExitCode.notFound} not found (stream, sequence).`,
    );
  registerPublishCommand(program);
  registerDeadLetterCommands(program);
  registerStreamCommands(program);
  registerJobCommands(program);
  registerContractsCommand(program);
  registerCronCommands(program);
  registerRateLimitCommands(program);
  return program;
}

async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    process.exitCode = reportError(error);
  }
}

if (require.main === module) {
  // Exit explicitly: a connection attempt that timed out leaves its socket to the OS's connect timeout,
  // which would keep the process alive for seconds after the error was reported. Output is already out:
  // stdout and stderr writes are synchronous for files, pipes and terminals on Linux.
  void main(process.argv).finally(() => process.exit());
}
