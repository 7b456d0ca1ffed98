import { ServiceConfigSchema } from '@lib/jetstream';
import { z } from 'zod';

export const NotifierConfigSchema = ServiceConfigSchema.extend({
  HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(3002),
  /** The relay the mail goes out through: smtp://[user:password@]host:port, or smtps:// for implicit TLS. */
  SMTP_URL: z
    .string({ error: 'is required (smtp://host:port)' })
    .refine(isSmtpUrl, 'must be an smtp:// or smtps:// URL with a host and a port (smtp://host:port)'),
  MAIL_FROM: z.string().min(3).default('Loomio <notifications@loomio.example>'),
  /** The web app's public address, for the links in e-mails. */
  APP_URL: z
    .url({ protocol: /^https?$/ })
    .default('http://localhost:3000')
    .transform((url) => url.replace(/\/+$/, '')),
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
