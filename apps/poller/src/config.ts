import { ServiceConfigSchema } from '@lib/jetstream';
import { z } from 'zod';

export const PollerConfigSchema = ServiceConfigSchema.extend({
  HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(3003),
});

export type PollerConfig = z.infer<typeof PollerConfigSchema>;
