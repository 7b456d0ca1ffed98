import type { KV } from 'nats';

/**
 * When each failing delivery first failed, shared by every replica (its retries may run anywhere), so that a
 * dead letter can say how long the job kept failing. Written once per failing job, never on the happy path;
 * entries expire with the bucket's TTL.
 */
export class FirstFailures {
  constructor(private readonly kv: KV) {}

  static key(consumer: string, streamSeq: number): string {
    return `${consumer}.${streamSeq}`;
  }

  /** Records `at` unless an earlier failure is on record; returns the first failure time (ISO). */
  async remember(key: string, at: Date): Promise<string> {
    const iso = at.toISOString();
    try {
      await this.kv.create(key, iso);
      return iso;
    } catch {
      const existing = await this.kv.get(key).catch(() => null);
      return existing && existing.operation === 'PUT' ? existing.string() : iso;
    }
  }

  async lookup(key: string): Promise<string | undefined> {
    const existing = await this.kv.get(key).catch(() => null);
    return existing && existing.operation === 'PUT' ? existing.string() : undefined;
  }
}
