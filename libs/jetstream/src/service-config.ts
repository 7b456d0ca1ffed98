import { z } from 'zod';

const natsUrls = z
  .string()
  .refine(
    (value) => value.split(',').every((url) => /^(nats|tls|ws|wss):\/\/[^\s]+$/.test(url.trim())),
    'must be nats://host:port, or several separated by commas',
  );
const int = (min: number) => z.coerce.number().int().min(min);

/** Settings every service reads from its environment; a service adds its own with `.extend`. */
export const ServiceConfigSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  NATS_URL: natsUrls.default('nats://127.0.0.1:4222'),
  /** The app's own NATS user (deploy/nats/auth.conf); unset for a server without authorization. */
  NATS_USER: z.string().min(1).optional(),
  NATS_PASSWORD: z.string().min(1).optional(),
  DATABASE_URL: z
    .string({ error: 'is required (postgres://user@host:5432/database)' })
    .refine((value) => /^postgres(ql)?:\/\/[^\s]+$/.test(value), 'must be a postgres:// URL'),
  HTTP_PORT: int(0).max(65535),
  HTTP_HOST: z.string().default('0.0.0.0'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  WORKER_SLOTS: int(1).max(10_000).default(50),
  ACK_WAIT_MS: int(1000).default(10_000),
  PULL_WINDOW: int(1).max(100_000).default(1000),
  SHUTDOWN_GRACE_MS: int(0).default(25_000),
  /** Record job states in `job_statuses` (subjects may opt out with `trackStatus: false`). */
  JOB_STATUSES: z
    .enum(['true', 'false'])
    .default('true')
    .transform((value) => value === 'true'),
  NATS_STREAM_REPLICAS: z.coerce
    .number()
    .pipe(z.union([z.literal(1), z.literal(3), z.literal(5)]))
    .default(1),
});

export type ServiceConfig = z.infer<typeof ServiceConfigSchema>;

/** Never echo these back: a malformed URL may still carry a password. */
const MayHoldSecrets = /URL|PASSWORD|SECRET|TOKEN|KEY/i;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Parses the environment; every problem is reported by the name of its setting, all at once. */
export function loadServiceConfig<S extends z.ZodType>(
  service: string,
  schema: S,
  env: NodeJS.ProcessEnv = process.env,
): z.infer<S> {
  const values = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const parsed = schema.safeParse(values);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((issue) => {
    const setting = issue.path.join('.') || '(environment)';
    const message =
      issue.code === 'invalid_type' && values[setting] === undefined ? 'is required' : issue.message;
    const shown =
      values[setting] !== undefined && !MayHoldSecrets.test(setting) ? ` (got "${values[setting]}")` : '';
    return `  ${setting}: ${message}${shown}`;
  });
  throw new ConfigError(`${service}: invalid configuration\n${lines.join('\n')}`);
}

export interface NatsConnectionSettings {
  servers: string[];
  user?: string;
  pass?: string;
}

/**
 * Servers and credentials for `connect()`: NATS_USER/NATS_PASSWORD, or `nats://user:password@host` in
 * NATS_URL (nats.js ignores credentials in a URL, so they are taken out here and never reach a log line).
 */
export function natsConnectionSettings(
  config: Pick<ServiceConfig, 'NATS_URL' | 'NATS_USER' | 'NATS_PASSWORD'>,
): NatsConnectionSettings {
  let user = config.NATS_USER;
  let pass = config.NATS_PASSWORD;
  const servers = config.NATS_URL.split(',').map((entry) => {
    const url = new URL(entry.trim());
    if (url.username && !user) {
      user = decodeURIComponent(url.username);
      pass = pass ?? decodeURIComponent(url.password);
    }
    return `${url.protocol}//${url.host}`;
  });
  if (pass !== undefined && user === undefined)
    throw new ConfigError('NATS_PASSWORD is set but NATS_USER is not: set both, or neither');
  return { servers, ...(user !== undefined ? { user } : {}), ...(pass ? { pass } : {}) };
}
