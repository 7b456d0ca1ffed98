import type { Command } from 'commander';
import { StreamAdmin, type ConsumerSummary, type StreamSummary } from '@lib/jetstream/admin';
import { globalOptions, withNats } from '../cli-context';
import { formatBytes, formatDuration, printJson, printTable, type Column } from '../output';

const StreamColumns: Column<StreamSummary>[] = [
  { header: 'STREAM', value: (s) => s.name },
  { header: 'SUBJECTS', value: (s) => s.subjects.join(',') },
  { header: 'RETENTION', value: (s) => s.retention },
  { header: 'MESSAGES', value: (s) => s.messages },
  { header: 'BYTES', value: (s) => formatBytes(s.bytes) },
  { header: 'FIRST SEQ', value: (s) => s.firstSeq },
  { header: 'LAST SEQ', value: (s) => s.lastSeq },
  { header: 'CONSUMERS', value: (s) => s.consumers },
];

const ConsumerColumns: Column<ConsumerSummary>[] = [
  { header: 'STREAM', value: (c) => c.stream },
  { header: 'CONSUMER', value: (c) => c.name },
  { header: 'FILTER', value: (c) => c.filterSubject },
  { header: 'PENDING', value: (c) => c.pending },
  { header: 'IN FLIGHT', value: (c) => c.inFlight },
  { header: 'REDELIVERED', value: (c) => c.redelivered },
  { header: 'WAITING PULLS', value: (c) => c.waiting },
  { header: 'MAX DELIVER', value: (c) => c.maxDeliver },
  { header: 'MAX ACK PENDING', value: (c) => c.maxAckPending },
  { header: 'ACK WAIT', value: (c) => formatDuration(c.ackWaitMs) },
];

export function registerStreamCommands(program: Command): void {
  program
    .command('streams')
    .description('List streams with their message counts and sequences')
    .action(async (_options: unknown, command: Command) => {
      const streams = await withNats(command, ({ jsm }) => new StreamAdmin(jsm).streams());
      if (globalOptions(command).json) return printJson(streams);
      printTable(streams, StreamColumns, 'No streams (nothing provisioned yet).');
    });

  program
    .command('consumers')
    .description('List consumers: backlog, jobs in flight, redeliveries and limits')
    .argument('[stream]', 'only the consumers of this stream (EVENTS, JOBS, DLQ, ...)')
    .action(async (stream: string | undefined, _options: unknown, command: Command) => {
      const consumers = await withNats(command, ({ jsm }) => new StreamAdmin(jsm).consumers(stream));
      if (globalOptions(command).json) return printJson(consumers);
      printTable(consumers, ConsumerColumns, stream ? `Stream ${stream} has no consumers.` : 'No consumers.');
    });
}
