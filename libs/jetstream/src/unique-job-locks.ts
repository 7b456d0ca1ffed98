import { createHash } from 'node:crypto';
import type { KV } from 'nats';
import { DuplicateJobError } from './errors';

interface LockValue {
  jobId: string;
  expiresAt: number;
}

/**
 * A uniqueness key is held from enqueue until the job has run (or died), through `create` on a KV key,
 * which succeeds for exactly one publisher. The lock carries its own expiry so that a job lost with its
 * lock does not block the key for longer than its contract allows; the bucket TTL is only the backstop.
 */
export class UniqueJobLocks {
  constructor(private readonly kv: KV) {}

  static keyFor(subject: string, uniqueKey: string): string {
    const digest = createHash('sha256').update(uniqueKey).digest('hex').slice(0, 40);
    return `${subject.replace(/[^A-Za-z0-9_-]/g, '_')}.${digest}`;
  }

  /** Returns the lock key when acquired, or throws DuplicateJobError / returns null (drop) when it is held. */
  async acquire(
    subject: string,
    uniqueKey: string,
    jobId: string,
    ttlMs: number,
    onConflict: 'reject' | 'drop',
  ): Promise<string | null> {
    const key = UniqueJobLocks.keyFor(subject, uniqueKey);
    const value = encode({ jobId, expiresAt: Date.now() + ttlMs });
    try {
      await this.kv.create(key, value);
      return key;
    } catch {
      const held = await this.kv.get(key);
      const current = held && held.operation === 'PUT' ? decode(held.value) : null;
      if (held && (!current || current.expiresAt < Date.now())) {
        // Expired or deleted: take it over, unless another publisher does so first (revision check).
        try {
          await this.kv.update(key, value, held.revision);
          return key;
        } catch {
          /* lost the race: treated as held */
        }
      }
      if (onConflict === 'drop') return null;
      throw new DuplicateJobError(subject, uniqueKey);
    }
  }

  /** Releases the lock if it is still the one this job took (a newer job may own the key by now). */
  async release(key: string, jobId: string): Promise<void> {
    const held = await this.kv.get(key);
    if (!held || held.operation !== 'PUT') return;
    const current = decode(held.value);
    if (current?.jobId !== jobId) return;
    await this.kv.delete(key, { previousSeq: held.revision }).catch(() => undefined);
  }
}

function encode(value: LockValue): Uint8Array {
  return Buffer.from(JSON.stringify(value));
}

function decode(bytes: Uint8Array): LockValue | null {
  try {
    return JSON.parse(Buffer.from(bytes).toString()) as LockValue;
  } catch {
    return null;
  }
}
