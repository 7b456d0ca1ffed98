import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { Subjects } from '@lib/contracts';
import { DiscardError, EventPattern, LOGGER, SERVICE_CONFIG } from '@lib/jetstream';
import { outboundPolicyFrom } from '@lib/outbound';
import type { JanitorConfig } from '../config';
import { BlockedDomains } from './blocked-domains';

@Injectable()
export class UpdateBlockedDomainsHandler {
  constructor(
    @Inject(BlockedDomains) private readonly blockedDomains: BlockedDomains,
    @Inject(SERVICE_CONFIG) private readonly config: JanitorConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @EventPattern(Subjects.UpdateBlockedDomains)
  async handle(): Promise<void> {
    const location = this.config.BLOCKED_DOMAINS_SOURCE;
    if (!location)
      throw new DiscardError('BLOCKED_DOMAINS_SOURCE is not configured; blocked_domains left as is');
    const update = await this.blockedDomains.update({
      location,
      policy: outboundPolicyFrom(this.config),
      timeoutMs: 60_000,
      maxBytes: this.config.BLOCKED_DOMAINS_MAX_BYTES,
    });
    if (update.rejected.length > 0) {
      this.logger.warn(
        { rejected: update.rejected.slice(0, 20), count: update.rejected.length },
        'lines that are not domains were skipped',
      );
    }
    this.logger.info(
      { added: update.added, removed: update.removed, total: update.total },
      'blocked domains updated',
    );
  }
}
