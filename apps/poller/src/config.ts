import { ServiceConfigSchema } from '@lib/jetstream';
import { z } from 'zod';

export const PollerConfigSchema = ServiceConfigSchema.extend({
  HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(3003),
  /** Keep participants of anonymous polls linked after closing (Loomio's FEATURES_DISABLE_SCRUB_ANONYMOUS_STANCES). */
  KEEP_ANONYMOUS_PARTICIPANTS: z
    .enum(['true', 'false'])
    .default('false')
    .transform((value) => value === 'true'),
  /** Polls read per batch by the hourly jobs; each poll still gets its own transaction. */
  POLLER_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(500),
  /** Polls worked on at once by the hourly jobs; keep below the database pool size (10). */
  POLLER_PARALLELISM: z.coerce.number().int().min(1).max(8).default(4),
});

export type PollerConfig = z.infer<typeof PollerConfigSchema>;
export const POLLER_CONFIG = Symbol('POLLER_CONFIG');
