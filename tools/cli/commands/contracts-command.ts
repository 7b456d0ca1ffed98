import type { Command } from 'commander';
import { Contracts, type Contract, type ContractMap } from '@lib/contracts';
import { globalOptions } from '../cli-context';
import { formatDuration, printJson, printTable, type Column } from '../output';

const ContractColumns: Column<Contract>[] = [
  { header: 'SUBJECT', value: (c) => c.subject },
  { header: 'KIND', value: (c) => c.kind },
  { header: 'OWNER / CONSUMERS', value: ownerOrConsumers },
  { header: 'PRIORITY', value: (c) => c.options.priority },
  { header: 'ATTEMPTS', value: (c) => c.options.maxAttempts },
  { header: 'CONCURRENCY', value: (c) => c.options.concurrency ?? '-' },
  { header: 'TIMEOUT', value: (c) => (c.options.timeoutMs ? formatDuration(c.options.timeoutMs) : '-') },
  { header: 'UNIQUE', value: (c) => (c.options.unique ? c.options.unique.onConflict : '-') },
];

export function registerContractsCommand(program: Command): void {
  program
    .command('contracts')
    .description('List every subject with its kind, handlers and processing options (no NATS needed)')
    .action((_options: unknown, command: Command) => {
      const contracts = Object.values(Contracts as ContractMap).sort((a, b) =>
        a.subject.localeCompare(b.subject),
      );
      if (globalOptions(command).json) return printJson(contracts.map(describeContract));
      printTable(contracts, ContractColumns, 'No contracts.');
    });
}

/** The schema and key function do not serialize; the rest is what an operator or script needs. */
function describeContract(contract: Contract) {
  const { unique, ...options } = contract.options;
  return {
    subject: contract.subject,
    kind: contract.kind,
    ...(contract.kind === 'job' ? { service: contract.service } : { consumers: contract.consumers }),
    description: contract.description,
    options: { ...options, unique: unique ? { ttlMs: unique.ttlMs, onConflict: unique.onConflict } : null },
  };
}

function ownerOrConsumers(contract: Contract): string {
  if (contract.kind === 'job') return contract.service;
  return contract.consumers.length > 0 ? contract.consumers.join(', ') : '-';
}
