import { ServiceConfigSchema } from '@lib/jetstream';
import { z } from 'zod';

export const SchedulerConfigSchema = ServiceConfigSchema.extend({
  HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(3001),
  /** A direct (not transaction-pooled) PostgreSQL URL for the relay's LISTEN; DATABASE_URL when unset. */
  OUTBOX_LISTEN_URL: z
    .string()
    .refine((value) => /^postgres(ql)?:\/\/[^\s]+$/.test(value), 'must be a postgres:// URL')
    .optional(),
});

export type SchedulerConfig = z.infer<typeof SchedulerConfigSchema>;
