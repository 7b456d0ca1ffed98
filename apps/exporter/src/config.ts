import { ServiceConfigSchema } from '@lib/jetstream';
import { z } from 'zod';

export const ExporterConfigSchema = ServiceConfigSchema.extend({
  HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(3004),
});

export type ExporterConfig = z.infer<typeof ExporterConfigSchema>;
