import type { DataSource } from 'typeorm';
import { enqueueEmails } from '../notifications/email-jobs';
import { unreadThreads } from './catch-up-activity';
import {
  catchUpWindow,
  catchUpWindowHours,
  DigestHour,
  dueSettings,
  localClock,
  slotStart,
  type LocalClock,
} from './catch-up-schedule';

export interface DigestReport {
  queued: number;
  nothingNew: number;
  alreadySent: number;
}

interface DueZone {
  /** The zones stored on users that share this wall clock now (NULL and unknown zones are UTC). */
  zones: string[];
  includesNull: boolean;
  clock: LocalClock;
  settings: number[];
}

/**
 * Queues one catch-up digest per user whose local time is 6 AM and whose setting is due on their local
 * weekday, and remembers it in `last_catch_up_at` in the same transaction. A second run in the same slot
 * (a redelivered job) finds the mark and skips the user; the mail's dedupe key (user and local date) holds
 * even if it did not.
 */
export class CatchUpDigests {
  constructor(
    private readonly dataSource: DataSource,
    private readonly batchSize = 500,
  ) {}

  async sendAll(at: Date, onProgress: () => void = () => undefined): Promise<DigestReport> {
    const report: DigestReport = { queued: 0, nothingNew: 0, alreadySent: 0 };
    for (const due of await this.dueZones(at)) {
      let afterId = 0;
      for (;;) {
        const users = (await this.dataSource.query(
          `SELECT id FROM users
           WHERE email_catch_up_day = ANY($1::smallint[]) AND deactivated_at IS NULL AND email IS NOT NULL
             AND (time_zone = ANY($2::text[]) OR ($3 AND time_zone IS NULL)) AND id > $4
           ORDER BY id LIMIT $5`,
          [due.settings, due.zones, due.includesNull, afterId, this.batchSize],
        )) as { id: string }[];
        for (const user of users) {
          const outcome = await this.sendOne(Number(user.id), at, due.clock);
          report[outcome]++;
        }
        onProgress();
        if (users.length < this.batchSize) break;
        afterId = Number(users[users.length - 1].id);
      }
    }
    return report;
  }

  /** The zones in use whose local hour is 6 now, grouped by wall clock. */
  private async dueZones(at: Date): Promise<DueZone[]> {
    const rows = (await this.dataSource.query(
      `SELECT DISTINCT time_zone FROM users WHERE email_catch_up_day IS NOT NULL AND deactivated_at IS NULL`,
    )) as { time_zone: string | null }[];
    const byClock = new Map<string, DueZone>();
    for (const { time_zone: zone } of rows) {
      const clock = localClock(at, zone);
      if (clock.hour !== DigestHour) continue;
      const key = `${clock.date}T${clock.hour}:${clock.minute}`;
      const due = byClock.get(key) ?? {
        zones: [],
        includesNull: false,
        clock,
        settings: dueSettings(clock.weekday),
      };
      if (zone === null) due.includesNull = true;
      else due.zones.push(zone);
      byClock.set(key, due);
    }
    return [...byClock.values()].filter((due) => due.settings.length > 0);
  }

  private sendOne(userId: number, at: Date, clock: LocalClock): Promise<keyof DigestReport> {
    return this.dataSource.transaction(async (manager) => {
      const [user] = (await manager.query(
        `SELECT email_catch_up_day, last_catch_up_at, time_zone FROM users WHERE id = $1 FOR UPDATE`,
        [userId],
      )) as { email_catch_up_day: number | null; last_catch_up_at: Date | null; time_zone: string | null }[];
      const hours = user && catchUpWindowHours(user.email_catch_up_day, clock.weekday);
      if (!user || hours === undefined) return 'nothingNew';
      // The same slot already handled (a second run of this hour's job).
      if (user.last_catch_up_at && user.last_catch_up_at >= slotStart(at, clock)) return 'alreadySent';
      const window = catchUpWindow(at, hours, user.last_catch_up_at);
      if ((await unreadThreads(manager, userId, window, 1)).length === 0) return 'nothingNew';
      await enqueueEmails(manager, [
        {
          kind: 'catch_up',
          recipientId: userId,
          recordType: 'User',
          recordId: userId,
          dedupeKey: `catch_up:${userId}:${clock.date}`,
          since: window.since.toISOString(),
          until: window.until.toISOString(),
        },
      ]);
      await manager.query(`UPDATE users SET last_catch_up_at = $2 WHERE id = $1`, [userId, at]);
      return 'queued';
    });
  }
}
