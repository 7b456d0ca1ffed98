import { ServiceConfigSchema } from '@lib/jetstream';
import { z } from 'zod';

export const DashboardConfigSchema = ServiceConfigSchema.extend({
  HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  DASHBOARD_USER: z.string().min(1).default('admin'),
  /** Required in production; elsewhere a random one is generated at boot and printed once. */
  DASHBOARD_PASSWORD: z.string().min(8, 'must be at least 8 characters').optional(),
  DASHBOARD_SESSION_HOURS: z.coerce
    .number()
    .positive()
    .max(24 * 30)
    .default(12),
  /** `auto`: Secure cookies when the request came over https (directly or per X-Forwarded-Proto). */
  DASHBOARD_SECURE_COOKIES: z.enum(['auto', 'always', 'never']).default('auto'),
  /** How often worker heartbeats are sampled for the processed/failed history. */
  DASHBOARD_SAMPLE_MS: z.coerce.number().int().min(100).default(60_000),
  /** Failed logins allowed per client address within 15 minutes. */
  DASHBOARD_LOGIN_ATTEMPTS: z.coerce.number().int().min(1).default(10),
}).superRefine((config, context) => {
  if (config.NODE_ENV === 'production' && !config.DASHBOARD_PASSWORD) {
    context.addIssue({
      code: 'custom',
      path: ['DASHBOARD_PASSWORD'],
      message: 'is required in production (there is no default password)',
    });
  }
});

export type DashboardConfig = z.infer<typeof DashboardConfigSchema>;
