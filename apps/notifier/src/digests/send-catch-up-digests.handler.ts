import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { CloudEventHeaders, Subjects, type PayloadOf, type SendCatchUpDigests } from '@lib/contracts';
import { EventPattern, LOGGER, type JobContext } from '@lib/jetstream';
import { CatchUpDigests } from './send-catch-up-digests';

@Injectable()
export class SendCatchUpDigestsHandler {
  private readonly digests: CatchUpDigests;

  constructor(
    @Inject(DataSource) dataSource: DataSource,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.digests = new CatchUpDigests(dataSource);
  }

  @EventPattern(Subjects.SendCatchUpDigests)
  async handle(payload: PayloadOf<typeof SendCatchUpDigests>, ctx: JobContext): Promise<void> {
    // The slot the job was published for, not the moment a retry runs: a retry an hour later still
    // serves the zones that were at 6 AM then.
    const at = new Date(payload.at ?? ctx.header(CloudEventHeaders.time) ?? Date.now());
    const report = await this.digests.sendAll(Number.isNaN(at.getTime()) ? new Date() : at, () =>
      ctx.working(),
    );
    this.logger.info({ ...report, at: at.toISOString() }, 'catch-up digests queued');
  }
}
