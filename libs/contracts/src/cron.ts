import { contractFor, validatePayload } from './validation';
import type { ContractMap } from './contract';

/** One line of the cron table: publish `payload` to `subject` at every slot of `schedule` in `timeZone`. */
export interface CronEntry {
  /** Stable kebab-case name: the key of its state (last slot, paused) and part of each slot's message id. */
  name: string;
  /** A cron expression (5 fields, or 6 with seconds), evaluated in `timeZone`. */
  schedule: string;
  /** IANA zone; UTC when absent. */
  timeZone?: string;
  subject: string;
  payload: unknown;
  description: string;
}

const CronName = /^[a-z][a-z0-9-]*$/;

/** Checks names and payloads against the contracts; schedules and zones are checked by the scheduler at boot. */
export function defineCronTable(contracts: ContractMap, entries: CronEntry[]): readonly CronEntry[] {
  const seen = new Set<string>();
  for (const entry of entries) {
    if (!CronName.test(entry.name)) throw new Error(`cron entry "${entry.name}": name must be kebab-case`);
    if (seen.has(entry.name)) throw new Error(`cron entry "${entry.name}" is declared twice`);
    seen.add(entry.name);
    try {
      validatePayload(contractFor(contracts, entry.subject), entry.payload);
    } catch (error) {
      throw new Error(`cron entry "${entry.name}": ${(error as Error).message}`);
    }
  }
  return Object.freeze(entries.map((entry) => Object.freeze({ ...entry })));
}
