import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { CronEntryState, CronStateStore } from './cron-state';
import { slotsBetween, type PlannedEntry } from './cron-plan';

/** Publishes one cron message; `id` becomes its `Nats-Msg-Id`, so a repeat is dropped by the stream. */
export type CronPublish = (entry: PlannedEntry, id: string) => Promise<void>;

export interface CronEntryStatus {
  name: string;
  schedule: string;
  timeZone: string;
  subject: string;
  description: string;
  paused: boolean;
  lastRun: string | null;
  nextRun: string;
}

/** Old slots beyond this are not walked one by one: a scheduler down for weeks only needs the latest. */
const CatchUpHorizonMs = 35 * 24 * 3600_000;

/**
 * Publishes each slot of each entry exactly once, whatever the number of scheduler replicas: a replica
 * claims a slot by advancing the entry's state with compare-and-set, then publishes it with the id
 * `cron:<name>:<slot>`. A scheduler that was down publishes the most recent missed slot once and skips
 * (and logs) older ones, as sidekiq-cron does. A new entry starts at the next slot.
 */
export class CronScheduler {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = true;

  constructor(
    private readonly entries: PlannedEntry[],
    private readonly store: CronStateStore,
    private readonly publish: CronPublish,
    private readonly logger: Logger,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** Publishes what is due at `now`; safe to call from any number of replicas at once. */
  async tick(now = this.clock()): Promise<void> {
    for (const entry of this.entries) {
      try {
        await this.tickEntry(entry, now);
      } catch (error) {
        this.logger.error({ err: error, cron: entry.name }, 'cron entry failed; retried at the next tick');
      }
    }
  }

  async status(now = this.clock()): Promise<CronEntryStatus[]> {
    return Promise.all(
      this.entries.map(async (entry) => {
        const current = await this.store.read(entry.name);
        return {
          name: entry.name,
          schedule: entry.schedule,
          timeZone: entry.timeZone,
          subject: entry.subject,
          description: entry.description,
          paused: current?.state.paused ?? false,
          lastRun: current?.state.publishedAt ?? null,
          nextRun: entry.nextAfter(now).toISOString(),
        };
      }),
    );
  }

  /** Publishes the entry now, outside its schedule, with an id of its own. */
  async runNow(name: string): Promise<string> {
    const entry = this.entry(name);
    const id = `cron:${entry.name}:manual:${randomUUID()}`;
    await this.publish(entry, id);
    this.logger.info({ cron: entry.name, id }, 'cron entry run by hand');
    return id;
  }

  /** A paused entry's slots pass unpublished; resuming does not replay them. */
  async setPaused(name: string, paused: boolean): Promise<void> {
    this.entry(name);
    await this.store.modify(name, (state) => ({ ...state, paused }));
    this.logger.info({ cron: name }, paused ? 'cron entry paused' : 'cron entry resumed');
  }

  private async tickEntry(entry: PlannedEntry, now: Date): Promise<void> {
    let current = await this.store.read(entry.name);
    if (!current) {
      const fresh: CronEntryState = {
        lastSlot: now.toISOString(),
        published: true,
        publishedAt: null,
        paused: false,
      };
      await this.store.create(entry.name, fresh);
      return;
    }
    if (!current.state.published && current.state.lastSlot) {
      // A fresh claim belongs to a replica still waiting for the stream's ack: sending the slot as well would
      // only put a copy on the wire for the stream to drop. An older one was left by a replica that died.
      if (claimIsFresh(current.state, now)) return;
      current = await this.publishClaimed(entry, current.state, current.revision);
      if (!current) return;
    }
    const last = new Date(current.state.lastSlot ?? now.toISOString());
    const from = new Date(Math.max(last.getTime(), now.getTime() - CatchUpHorizonMs));
    const due = slotsBetween(entry, from, now);
    if (due.length === 0) return;
    const slot = due[due.length - 1];
    if (due.length > 1) {
      this.logger.warn(
        {
          cron: entry.name,
          skipped: due.slice(0, -1).map((d) => d.toISOString()),
          publishing: slot.toISOString(),
        },
        'missed cron slots: publishing only the most recent',
      );
    }
    const claimed: CronEntryState = {
      ...current.state,
      lastSlot: slot.toISOString(),
      published: current.state.paused,
      claimedAt: now.toISOString(),
    };
    // Losing this compare-and-set means another replica claimed the slot: it publishes, we do not.
    if (!(await this.store.replace(entry.name, claimed, current.revision))) return;
    if (current.state.paused) return;
    const after = await this.store.read(entry.name);
    if (after) await this.publishClaimed(entry, after.state, after.revision);
  }

  private async publishClaimed(entry: PlannedEntry, state: CronEntryState, revision: number) {
    const id = `cron:${entry.name}:${state.lastSlot}`;
    await this.publish(entry, id);
    const done: CronEntryState = { ...state, published: true, publishedAt: this.clock().toISOString() };
    if (!(await this.store.replace(entry.name, done, revision))) return null;
    this.logger.info({ cron: entry.name, slot: state.lastSlot, id }, 'cron slot published');
    return this.store.read(entry.name);
  }

  private entry(name: string): PlannedEntry {
    const entry = this.entries.find((e) => e.name === name);
    if (!entry)
      throw new Error(`no cron entry "${name}"; known: ${this.entries.map((e) => e.name).join(', ')}`);
    return entry;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.tick().finally(() => this.schedule(this.msUntilNextSlot()));
    }, delayMs);
  }

  /** Sleeps until the nearest slot of any entry (at most a minute, to notice pauses and clock jumps). */
  private msUntilNextSlot(): number {
    const now = this.clock();
    const next = Math.min(...this.entries.map((e) => e.nextAfter(now).getTime()), now.getTime() + 60_000);
    return Math.max(10, next - now.getTime() + 5);
  }
}

/** How long a claimed slot is left to the replica that claimed it before another one publishes it. */
export const CronClaimGraceMs = 2_000;

function claimIsFresh(state: CronEntryState, now: Date): boolean {
  if (!state.claimedAt) return false;
  const age = now.getTime() - Date.parse(state.claimedAt);
  return age >= 0 && age < CronClaimGraceMs;
}
