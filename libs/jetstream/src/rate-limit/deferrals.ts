import type { KV } from 'nats';

/**
 * NATS counts every delivery, and a job that waited for its budget was delivered without being attempted. The
 * deliveries spent waiting are counted here (per consumer and stream sequence) and subtracted from the attempt,
 * so waiting never uses up attempts. Read only for redeliveries of limited subjects; entries expire with the
 * bucket's TTL, which outlives how long a message can wait on `nak` before it is parked in the outbox.
 */
export class Deferrals {
  constructor(private readonly kv: KV) {}

  static key(consumer: string, streamSeq: number): string {
    return `${consumer}.${streamSeq}`;
  }

  async count(consumer: string, streamSeq: number): Promise<number> {
    const entry = await this.kv.get(Deferrals.key(consumer, streamSeq));
    if (!entry || entry.operation !== 'PUT') return 0;
    const value = Number.parseInt(entry.string(), 10);
    return Number.isFinite(value) && value > 0 ? value : 0;
  }

  /** Only the worker holding the delivery writes its count, so a plain put is enough. */
  async record(consumer: string, streamSeq: number, deferrals: number): Promise<void> {
    await this.kv.put(Deferrals.key(consumer, streamSeq), String(deferrals));
  }

  async forget(consumer: string, streamSeq: number): Promise<void> {
    await this.kv.delete(Deferrals.key(consumer, streamSeq));
  }
}
