import { ServiceConfigSchema } from '@lib/jetstream';
import { z } from 'zod';

export const JanitorConfigSchema = ServiceConfigSchema.extend({
  HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(3005),
});

export type JanitorConfig = z.infer<typeof JanitorConfigSchema>;
