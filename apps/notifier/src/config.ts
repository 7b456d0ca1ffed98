import { ServiceConfigSchema } from '@lib/jetstream';
import { z } from 'zod';

export const NotifierConfigSchema = ServiceConfigSchema.extend({
  HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(3002),
});

export type NotifierConfig = z.infer<typeof NotifierConfigSchema>;
