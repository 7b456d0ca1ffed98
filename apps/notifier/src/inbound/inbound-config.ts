import { z } from 'zod';
import { mailDomainOf } from '../email/deliver-email';

/** The inbound-mail setting, part of the notifier's config schema (apps/notifier/src/config.ts). */
export const InboundConfigShape = {
  /** The domain of reply and group addresses (Loomio's REPLY_HOSTNAME), e.g. `reply.loomio.example`. */
  REPLY_HOSTNAME: z
    .string()
    .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i, {
      message: 'must be a domain name, e.g. reply.loomio.example',
    })
    .optional(),
};

/** The domain inbound mail must be addressed to: REPLY_HOSTNAME, else the domain of MAIL_FROM. */
export function inboundMailDomain(config: { MAIL_FROM: string; REPLY_HOSTNAME?: string }): string {
  return (config.REPLY_HOSTNAME ?? mailDomainOf(config.MAIL_FROM)).toLowerCase();
}
