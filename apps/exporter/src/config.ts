import { ServiceConfigSchema } from '@lib/jetstream';
import { OutboundConfigShape } from '@lib/outbound';
import { z } from 'zod';

export const ExporterConfigSchema = ServiceConfigSchema.extend({
  HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(3004),
  /** Signs export download links (HMAC-SHA256); at least 32 characters, e.g. `openssl rand -hex 32`. */
  EXPORT_LINK_SECRET: z.string().min(32, 'must be at least 32 characters (e.g. `openssl rand -hex 32`)'),
  /** Rows read per query while exporting (keyset pagination); memory holds two batches (one read ahead). */
  EXPORT_BATCH_SIZE: z.coerce.number().int().min(1).max(50_000).default(1000),
  /** How long an export stays downloadable. */
  EXPORT_TTL_DAYS: z.coerce.number().int().min(1).max(90).default(7),
  /** Chunks of an upload that stopped growing this long ago and belong to no object are purged. */
  ABANDONED_UPLOAD_IDLE_MS: z.coerce
    .number()
    .int()
    .min(0)
    .default(10 * 60_000),
  /** Members CSV rows written per transaction. */
  IMPORT_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(500),
  /** download-attachment: the largest remote file accepted, and how long fetching it may take. */
  ATTACHMENT_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1)
    .default(100 * 1024 * 1024),
  ATTACHMENT_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(1000)
    .default(5 * 60_000),
  /** The outbound URL guard (OUTBOUND_ALLOW_HOSTS, OUTBOUND_ALLOW_CIDRS): only public addresses by default. */
  ...OutboundConfigShape,
});

export type ExporterConfig = z.infer<typeof ExporterConfigSchema>;
export const EXPORTER_CONFIG = Symbol('EXPORTER_CONFIG');
