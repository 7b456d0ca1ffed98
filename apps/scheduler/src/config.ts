import { ServiceConfigSchema } from '@lib/jetstream';
import { z } from 'zod';

export const SchedulerConfigSchema = ServiceConfigSchema.extend({
  HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(3001),
});

export type SchedulerConfig = z.infer<typeof SchedulerConfigSchema>;
