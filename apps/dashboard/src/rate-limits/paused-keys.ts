import { Injectable } from '@nestjs/common';
import { AdminNotFoundError, budgetKey, RateLimitAdmin } from '@lib/jetstream';
import { maskText } from '../masking/mask';

/** A paused key as the pages and the API show it; `id` names it in URLs without carrying the key itself. */
export interface PausedKeyView {
  id: string;
  consumer: string;
  subject: string;
  key: string;
  pausedAt: string;
  until: string;
  reason: string | null;
  /** Concurrency slots held now under the same key (0 when the subject has no `concurrencyPerKey`). */
  slotsInUse: number;
}

export interface SlotsInUseView {
  consumer: string;
  /** The key when a pause names it; otherwise the start of its hash (the store keeps only the hash). */
  key: string;
  holders: number;
}

export interface RateLimitsView {
  paused: PausedKeyView[];
  slots: SlotsInUseView[];
}

/** The `<consumer>.<key hash>` of budgetKey(): what a form or API path names a paused key by. */
const PauseId = /^[A-Za-z0-9_-]{1,200}\.[0-9a-f]{32}$/;

export class PausedKeyNotFoundError extends AdminNotFoundError {
  override readonly name: string = 'PausedKeyNotFoundError';
  constructor(readonly id: string) {
    super(`No paused key ${id.slice(0, 240)} (its pause ended already?)`);
  }
}

/** Keys paused cluster-wide and the concurrency slots in use, read from the rate-limit KV buckets. */
@Injectable()
export class PausedKeys {
  constructor(private readonly admin: RateLimitAdmin) {}

  async view(): Promise<RateLimitsView> {
    const [pausedKeys, slotsInUse] = await Promise.all([
      this.admin.listPausedKeys(),
      this.admin.slotsInUse(),
    ]);
    const paused = pausedKeys.map((pause) => {
      const id = budgetKey(pause.consumer, pause.key);
      return {
        id,
        consumer: pause.consumer,
        subject: pause.subject,
        // Keys are opaque by contract (hashes, hosts, ids); an address someone put in one is still not shown.
        key: maskText(pause.key),
        pausedAt: pause.pausedAt.toISOString(),
        until: pause.until.toISOString(),
        reason: pause.reason === undefined ? null : maskText(pause.reason),
        slotsInUse: slotsInUse.get(id) ?? 0,
      };
    });
    const keyOf = new Map(paused.map((pause) => [pause.id, pause.key]));
    const slots = [...slotsInUse]
      .map(([id, holders]) => {
        const dot = id.lastIndexOf('.');
        return {
          consumer: id.slice(0, dot),
          key: keyOf.get(id) ?? `sha256 ${id.slice(dot + 1, dot + 13)}…`,
          holders,
        };
      })
      .sort((a, b) => a.consumer.localeCompare(b.consumer) || b.holders - a.holders);
    return { paused, slots };
  }

  /** Ends the pause now, for every worker; says which key it was, for the audit log and the message. */
  async resume(id: string): Promise<{ consumer: string; subject: string; key: string }> {
    if (!PauseId.test(id)) throw new PausedKeyNotFoundError(id);
    const pause = (await this.admin.listPausedKeys()).find((p) => budgetKey(p.consumer, p.key) === id);
    if (!pause) throw new PausedKeyNotFoundError(id);
    await this.admin.resumeKey(pause.consumer, pause.key);
    return { consumer: pause.consumer, subject: pause.subject, key: maskText(pause.key) };
  }
}
