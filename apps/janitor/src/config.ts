import { ServiceConfigSchema } from '@lib/jetstream';
import { OutboundConfigShape } from '@lib/outbound';
import { z } from 'zod';

export const JanitorConfigSchema = ServiceConfigSchema.extend({
  ...OutboundConfigShape,
  HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(3005),
  /** Rows per committed transaction of the batch deletes, the cleanups and the search rebuild. */
  JANITOR_BATCH_SIZE: z.coerce.number().int().min(1).max(100_000).default(1000),
  /** redact-user: how long erasure waits for the confirmation mail to be sent before erasing anyway. */
  REDACTION_MAIL_WAIT_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(7 * 24 * 3600_000)
    .default(3600_000),
  /** redact-user: how often erasure looks again while the confirmation mail is pending. */
  REDACTION_MAIL_POLL_MS: z.coerce.number().int().min(10).max(3600_000).default(60_000),
  /** update-blocked-domains: a file path or an http(s) URL, one domain a line; unset, the job does nothing. */
  BLOCKED_DOMAINS_SOURCE: z.string().trim().min(1).optional(),
  /** How long a deleted attachment's file stays in the trash, restorable by undelete-attachment. */
  ATTACHMENT_TRASH_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  /** geo-locate-users: a local MaxMind DB country file (.mmdb); unset, the job does nothing. */
  GEOIP_DATABASE_PATH: z.string().trim().min(1).optional(),
  BLOCKED_DOMAINS_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(20 * 1024 * 1024),
});

export type JanitorConfig = z.infer<typeof JanitorConfigSchema>;
