import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { Subjects } from '@lib/contracts';
import { EventPattern, LOGGER, type JobContext } from '@lib/jetstream';
import { RevokeMemberships } from './revoke-memberships';

@Injectable()
export class RevokeMembershipsHandler {
  constructor(
    @Inject(RevokeMemberships) private readonly memberships: RevokeMemberships,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @EventPattern(Subjects.RevokeMemberships)
  async handle(_payload: unknown, ctx: JobContext): Promise<void> {
    const revoked = await this.memberships.revokeOfDeactivatedUsers(() => ctx.working());
    this.logger.info({ revoked }, 'memberships of deactivated users revoked');
  }
}
