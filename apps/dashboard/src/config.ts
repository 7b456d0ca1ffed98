import { ServiceConfigSchema } from '@lib/jetstream';
import { z } from 'zod';

export const DashboardConfigSchema = ServiceConfigSchema.extend({
  HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(3000),
});

export type DashboardConfig = z.infer<typeof DashboardConfigSchema>;
