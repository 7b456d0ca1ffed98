import type { DynamicModule, Type } from '@nestjs/common';
import type { ContractMap } from '@lib/contracts';
import { startService, type RunningService, type ServiceConfig } from '@lib/jetstream';
import type { z } from 'zod';

export interface ServiceUnderTest {
  name: string;
  module: Type | DynamicModule;
  configSchema: z.ZodType<ServiceConfig>;
  natsUrl: string;
  /** A migrated database, e.g. from createMigratedTestDatabase(). */
  databaseUrl: string;
  contracts?: ContractMap;
  env?: Record<string, string>;
}

/** Boots a service in this process, quiet and on a free port, against private servers. */
export function startServiceUnderTest(service: ServiceUnderTest): Promise<RunningService> {
  return startService({
    name: service.name,
    module: service.module,
    configSchema: service.configSchema,
    contracts: service.contracts,
    env: {
      NATS_URL: service.natsUrl,
      DATABASE_URL: service.databaseUrl,
      HTTP_PORT: '0',
      HTTP_HOST: '127.0.0.1',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      ...service.env,
    },
  });
}
