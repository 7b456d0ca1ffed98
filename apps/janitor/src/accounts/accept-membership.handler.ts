import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { Subjects, type AcceptMembership, type PayloadOf } from '@lib/contracts';
import { EventPattern, LOGGER } from '@lib/jetstream';
import { MembershipRedemption } from './membership-redemption';

@Injectable()
export class AcceptMembershipHandler {
  constructor(
    @Inject(MembershipRedemption) private readonly memberships: MembershipRedemption,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @EventPattern(Subjects.AcceptMembership)
  async handle({ membershipId, userId }: PayloadOf<typeof AcceptMembership>): Promise<void> {
    const outcome = await this.memberships.redeem(membershipId, userId);
    this.logger.info(
      { membershipId, userId, ...outcome },
      outcome.redeemed ? 'membership redeemed' : 'membership left as is',
    );
  }
}
