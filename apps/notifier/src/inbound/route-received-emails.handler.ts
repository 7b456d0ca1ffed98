import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { Subjects } from '@lib/contracts';
import { Outbox } from '@lib/db';
import { EventPattern, LOGGER, type JobContext } from '@lib/jetstream';
import { NOTIFIER_CONFIG, type NotifierConfig } from '../config';
import { inboundMailDomain } from './inbound-config';
import { ReceivedEmailRouter } from './route-received-emails';

/** Some mails could not be routed this run (they stay unrouted); the job is retried with backoff. */
export class UnroutedMailError extends Error {
  override readonly name = 'UnroutedMailError';
}

@Injectable()
export class RouteReceivedEmailsHandler {
  private readonly router: ReceivedEmailRouter;

  constructor(
    @Inject(DataSource) dataSource: DataSource,
    @Inject(Outbox) outbox: Outbox,
    @Inject(NOTIFIER_CONFIG) config: NotifierConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.router = new ReceivedEmailRouter(dataSource, outbox, { domain: inboundMailDomain(config) });
  }

  @EventPattern(Subjects.RouteReceivedEmails)
  async handle(_payload: Record<string, never>, ctx: JobContext): Promise<void> {
    const report = await this.router.routeAll(
      (mailId, outcome) => {
        ctx.working();
        // Ids and reason codes only: addresses and text stay in the database.
        this.logger.info({ mailId, ...outcome, jobId: ctx.jobId }, 'received e-mail routed');
      },
      (mailId, error) =>
        this.logger.error({ mailId, err: error, jobId: ctx.jobId }, 'received e-mail not routed'),
    );
    this.logger.info({ ...report, jobId: ctx.jobId }, 'received e-mails routed');
    // Retried with backoff; the mails already routed are not looked at again.
    if (report.failed > 0) throw new UnroutedMailError(`${report.failed} received e-mail(s) failed to route`);
  }
}
