import { ServiceConfigSchema } from '@lib/jetstream';
import { z } from 'zod';
import { ChatbotConfigShape } from './chatbots/chatbot-config';
import { InboundConfigShape } from './inbound/inbound-config';

export const NotifierConfigSchema = ServiceConfigSchema.extend({
  HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(3002),
  /** The relay the mail goes out through: smtp://[user:password@]host:port, or smtps:// for implicit TLS. */
  SMTP_URL: z
    .string({ error: 'is required (smtp://host:port)' })
    .refine(isSmtpUrl, 'must be an smtp:// or smtps:// URL with a host and a port (smtp://host:port)'),
  MAIL_FROM: z.string().min(3).default('Loomio <notifications@loomio.example>'),
  /** Messages per second the SMTP relay accepts, for all notifier replicas together (a cluster-wide limit). */
  SMTP_RATE: z.coerce.number().int().min(1).max(10_000).default(10),
  /** The web app's public address, for the links in e-mails. */
  APP_URL: z
    .url({ protocol: /^https?$/ })
    .default('http://localhost:3000')
    .transform((url) => url.replace(/\/+$/, '')),
  /** Webhooks/chatbots and the outbound URL guard (OUTBOUND_ALLOW_*, CHATBOT_*): see docs/chatbots.md. */
  ...ChatbotConfigShape,
  /** Inbound e-mail (REPLY_HOSTNAME): see docs/notifier.md, "Inbound e-mail". */
  ...InboundConfigShape,
});

export type NotifierConfig = z.infer<typeof NotifierConfigSchema>;
export const NOTIFIER_CONFIG = Symbol('NOTIFIER_CONFIG');

function isSmtpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'smtp:' || url.protocol === 'smtps:') && url.hostname !== '' && url.port !== '';
  } catch {
    return false;
  }
}
