import type { Command } from 'commander';
import { Contracts, type ContractMap } from '@lib/contracts';
import {
  DeadLetterAdmin,
  type DeadLetterDetail,
  type DeadLetterSummary,
  type RetryAllResult,
  type RetryResult,
} from '@lib/jetstream/admin';
import { CliError, ExitCode } from '../cli-errors';
import { globalOptions, parseLimit, parseSequence, withNats } from '../cli-context';
import {
  formatBytes,
  formatTimestamp,
  printJson,
  printLine,
  printNote,
  printTable,
  type Column,
} from '../output';

const SummaryColumns: Column<DeadLetterSummary>[] = [
  { header: 'SEQ', value: (l) => l.seq },
  { header: 'SUBJECT', value: (l) => l.subject },
  { header: 'REASON', value: (l) => l.reason },
  { header: 'ATTEMPTS', value: (l) => l.attempts ?? '-' },
  { header: 'SERVICE', value: (l) => l.service },
  { header: 'FAILED AT (UTC)', value: (l) => formatTimestamp(l.failedAt) },
  { header: 'SIZE', value: (l) => formatBytes(l.size) },
  { header: 'ERROR', value: (l) => l.error, maxWidth: 70 },
];

export function registerDeadLetterCommands(program: Command): void {
  const dlq = program.command('dlq').description('Browse, retry and discard dead letters (stream DLQ)');

  dlq
    .command('list')
    .description('List dead letters, oldest first, one page at a time')
    .option('--subject <subject>', 'only dead letters of this original subject (wildcards allowed)')
    .option('--limit <n>', 'page size', parseLimit, 50)
    .option('--from <seq>', 'start at this DLQ sequence (the "next" of the previous page)', parseSequence)
    .action(async (options: { subject?: string; limit: number; from?: number }, command: Command) => {
      const { page, total } = await withNats(command, async ({ jsm }) => {
        const admin = new DeadLetterAdmin(jsm);
        const query = { subject: options.subject, limit: options.limit, fromSeq: options.from };
        return { page: await admin.list(query), total: await admin.count({ subject: options.subject }) };
      });
      if (globalOptions(command).json) return printJson({ ...page, total });
      printTable(page.letters, SummaryColumns, 'No dead letters.');
      if (page.letters.length > 0) printNote(`${page.letters.length} shown, ${total} in all`);
      if (page.nextSeq !== null) {
        const subjectOption = options.subject ? ` --subject ${options.subject}` : '';
        printNote(`next page: dlq list${subjectOption} --limit ${options.limit} --from ${page.nextSeq}`);
      }
    });

  dlq
    .command('show')
    .description('Show a dead letter: every header and the body')
    .argument('<seq>', 'DLQ sequence', parseSequence)
    .action(async (seq: number, _options: unknown, command: Command) => {
      const detail = await withNats(command, ({ jsm }) => new DeadLetterAdmin(jsm).inspect(seq));
      if (globalOptions(command).json) return printJson(detail);
      printDetail(detail);
    });

  dlq
    .command('retry')
    .description('Republish dead letters to their original subject, then remove them from the DLQ')
    .argument('[seq]', 'DLQ sequence of the dead letter to retry', parseSequence)
    .option('--all', 'retry every dead letter (or every one of --subject)')
    .option('--subject <subject>', 'with --all: only dead letters of this original subject')
    .action(
      async (seq: number | undefined, options: { all?: boolean; subject?: string }, command: Command) => {
        if ((seq === undefined) === !options.all) {
          throw new CliError('Give either a DLQ sequence or --all.', ExitCode.invalidInput);
        }
        if (options.subject && !options.all) {
          throw new CliError('--subject only applies to --all.', ExitCode.invalidInput);
        }
        const json = globalOptions(command).json;
        if (seq !== undefined) {
          const result = await withNats(command, ({ jsm }) => new DeadLetterAdmin(jsm).retry(seq));
          return json ? printJson(result) : reportRetry(result);
        }
        const result = await withNats(command, ({ jsm }) => new DeadLetterAdmin(jsm).retryAll(options));
        if (json) printJson(result);
        else reportRetryAll(result);
        if (result.failures.length > 0) process.exitCode = ExitCode.failure;
      },
    );

  dlq
    .command('delete')
    .description('Discard one dead letter for good')
    .argument('<seq>', 'DLQ sequence', parseSequence)
    .action(async (seq: number, _options: unknown, command: Command) => {
      await withNats(command, ({ jsm }) => new DeadLetterAdmin(jsm).delete(seq));
      if (globalOptions(command).json) return printJson({ deleted: seq });
      printLine(`deleted dead letter ${seq}`);
    });

  dlq
    .command('purge')
    .description('Discard every dead letter (or every one of --subject) for good')
    .option('--subject <subject>', 'only dead letters of this original subject (wildcards allowed)')
    .option('--yes', 'confirm; without it, only says how many would go')
    .action(async (options: { subject?: string; yes?: boolean }, command: Command) => {
      const scope = options.subject ? `of ${options.subject}` : 'in the DLQ';
      if (!options.yes) {
        const count = await withNats(command, ({ jsm }) => new DeadLetterAdmin(jsm).count(options));
        throw new CliError(
          `This would discard ${count} dead letter(s) ${scope}; add --yes to do it.`,
          ExitCode.invalidInput,
        );
      }
      const purged = await withNats(command, ({ jsm }) => new DeadLetterAdmin(jsm).purge(options));
      if (globalOptions(command).json) return printJson({ purged });
      printLine(`purged ${purged} dead letter(s) ${scope}`);
    });
}

function printDetail(detail: DeadLetterDetail): void {
  printLine(`dead letter ${detail.seq}: ${detail.subject} (stored ${formatTimestamp(detail.storedAt)} UTC)`);
  printLine();
  printLine('headers');
  const width = Math.max(...Object.keys(detail.headers).map((name) => name.length));
  for (const [name, values] of Object.entries(detail.headers)) {
    // Stacks are stored single-line with escaped newlines; unfold them for reading.
    for (const value of values)
      printLine(`  ${name.padEnd(width)}  ${value.replace(/\\n/g, `\n  ${' '.repeat(width)}  `)}`);
  }
  printLine();
  if (detail.body.encoding === 'json') {
    printLine(`body (JSON, ${formatBytes(detail.size)})`);
    printLine(JSON.stringify(detail.body.value, null, 2));
  } else {
    printLine(`body (not JSON, ${formatBytes(detail.size)}, base64)`);
    printLine(detail.body.value);
  }
}

function reportRetry(result: RetryResult): void {
  const duplicate = result.duplicate
    ? ' (already retried within the duplicate window: not stored twice)'
    : '';
  const requeued = `${result.subject} (${result.stream} seq ${result.streamSeq})`;
  printLine(`retried dead letter ${result.seq} -> ${requeued}${duplicate}`);
  warnAboutFanOut(result.subject);
}

function reportRetryAll(result: RetryAllResult): void {
  printLine(`retried ${result.retried} dead letter(s)`);
  if (result.failures.length === 0) return;
  printNote(`${result.failures.length} could not be retried and stay in the DLQ:`);
  for (const failure of result.failures) printNote(`  ${failure.seq}  ${failure.subject}: ${failure.error}`);
}

/** A retried event goes back to its subject: every consuming service gets it, not just the failed one. */
function warnAboutFanOut(subject: string): void {
  const contract = (Contracts as ContractMap)[subject];
  if (contract?.kind === 'event' && contract.consumers.length > 1) {
    printNote(
      `note: ${subject} is consumed by ${contract.consumers.join(', ')}; each of them receives it again`,
    );
  }
}
