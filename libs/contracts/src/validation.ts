import { z } from 'zod';
import type { Contract } from './contract';

/** The payload does not match the subject's contract; raised before anything is published or stored. */
export class InvalidPayloadError extends Error {
  override readonly name = 'InvalidPayloadError';
  constructor(
    readonly subject: string,
    readonly issues: string,
  ) {
    super(`Invalid payload for ${subject}: ${issues}`);
  }
}

/** Returns the parsed payload (unknown keys stripped) or throws InvalidPayloadError naming every problem. */
export function validatePayload(contract: Contract, data: unknown): unknown {
  const parsed = contract.schema.safeParse(data);
  if (!parsed.success) throw new InvalidPayloadError(contract.subject, z.prettifyError(parsed.error));
  return parsed.data;
}

export function contractFor(contracts: Readonly<Record<string, Contract>>, subject: string): Contract {
  const contract = contracts[subject];
  if (!contract) throw new Error(`Unknown subject "${subject}": it is not in the contracts`);
  return contract;
}
