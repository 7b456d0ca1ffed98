import { JobBatches, JobStatusRecorder, Prerequisites } from './lifecycle';
import { Module, type DynamicModule, type INestApplication, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { ApplicationConfig } from '@nestjs/core/application-config';
import { connect, type NatsConnection } from 'nats';
import pino, { type Logger } from 'pino';
import { Contracts, type ContractMap } from '@lib/contracts';
import {
  AllEntities,
  AllMigrations,
  createDataSource,
  DatabaseConnection,
  DelayedJobs,
  Inbox,
  Outbox,
  OutboxRetryScheduler,
} from '@lib/db';
import { JobHandlerExplorer } from './handler-discovery';
import { JetStreamServer } from './jetstream.server';
import { WorkerMetrics } from './metrics';
import { PinoNestLogger } from './nest-logger';
import { DefaultStreamSettings, ensureStreams } from './provisioning';
import { JetStreamPublisher } from './publisher';
import { ScrubbingLoggerOptions } from './log-scrubbing';
import { ConfigError, loadServiceConfig, natsConnectionSettings, type ServiceConfig } from './service-config';
import type { z } from 'zod';
import { UniqueJobLocks } from './unique-job-locks';
import { rateLimitSettingsFrom, type RateLimitOverrides } from './rate-limit';
import { KvBuckets } from './names';
import { DefaultRuntimeSettings, WorkerRuntime, type DelayedRetryScheduler } from './worker-runtime';
import { WorkerCoreModule } from './worker-core.module';

export interface ServiceDefinition<S extends z.ZodType<ServiceConfig>> {
  name: string;
  /** The service's own module: its handlers and domain providers. */
  module: Type | DynamicModule;
  configSchema: S;
  contracts?: ContractMap;
  env?: NodeJS.ProcessEnv;
  delayedRetries?: DelayedRetryScheduler;
  /** Rate limits known only from this app's config, by subject (e.g. deliver-email at `SMTP_RATE` per second). */
  rateLimits?: (config: z.infer<S>) => RateLimitOverrides;
}

export interface RunningService {
  app: INestApplication;
  runtime: WorkerRuntime;
  publisher: JetStreamPublisher;
  nc: NatsConnection;
  logger: Logger;
  /** Drains the workers (in-flight jobs finish), then closes HTTP, NATS and PostgreSQL. */
  stop(): Promise<void>;
  httpUrl: string;
}

/** Boots one service: config, NATS, PostgreSQL, the Nest app with the JetStream transport and an HTTP port. */
export async function startService<S extends z.ZodType<ServiceConfig>>(
  definition: ServiceDefinition<S>,
): Promise<RunningService> {
  const config = loadServiceConfig(definition.name, definition.configSchema, definition.env ?? process.env);
  const contracts = definition.contracts ?? Contracts;
  const version = process.env.APP_VERSION ?? process.env.npm_package_version ?? 'dev';
  const logger = pino({
    level: config.LOG_LEVEL,
    base: { app: definition.name, pid: process.pid },
    ...ScrubbingLoggerOptions,
  });
  const nc = await connect({
    // The app's own NATS user when the server has authorization (deploy/nats/auth.conf).
    ...natsConnectionSettings(config),
    name: `${definition.name}@${process.pid}`,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 1000,
    waitOnFirstConnect: true,
    // nats.js otherwise builds Error objects per request for stack traces nobody reads: measured on publish.
    noAsyncTraces: true,
  });
  const database = new DatabaseConnection(
    createDataSource({
      url: config.DATABASE_URL,
      applicationName: definition.name,
      entities: AllEntities,
      migrations: AllMigrations,
    }),
    logger,
  );
  void database.connect();
  const js = nc.jetstream();
  // Before any provider may publish (the cron, the relay): a fresh NATS has no streams yet.
  const streamSettings = { ...DefaultStreamSettings, replicas: config.NATS_STREAM_REPLICAS };
  await ensureStreams(await nc.jetstreamManager(), streamSettings);
  const metrics = new WorkerMetrics(definition.name);
  const uniqueLocks = new UniqueJobLocks(
    await js.views.kv(KvBuckets.uniqueJobs, {
      history: 1,
      replicas: config.NATS_STREAM_REPLICAS,
      ttl: 24 * 3600_000,
    }),
  );
  // Job states for `jobs show <id>` and the dashboard, written in batches off the hot path (docs/job-lifecycle.md).
  const statuses = config.JOB_STATUSES ? new JobStatusRecorder(database.dataSource, logger) : undefined;
  statuses?.start();
  const source = `urn:loomio-workers:${definition.name}`;
  // Batch members' final states, counted before their ack; finished batches purged after 7 days.
  const batches = new JobBatches(database.dataSource, contracts, source);
  batches.start();
  const runtime = new WorkerRuntime({
    app: definition.name,
    version,
    contracts,
    nc,
    logger,
    metrics,
    delayedRetries: definition.delayedRetries ?? new OutboxRetryScheduler(database.dataSource),
    uniqueLocks,
    statuses,
    batches,
    // Prerequisites are looked up in job_statuses: only where statuses are recorded.
    prerequisites: statuses ? new Prerequisites(database.dataSource) : undefined,
    rateLimits: rateLimitSettingsFrom(
      definition.name,
      definition.env ?? process.env,
      definition.rateLimits?.(config),
    ),
    settings: {
      ...DefaultRuntimeSettings,
      slots: config.WORKER_SLOTS,
      ackWaitMs: config.ACK_WAIT_MS,
      pull: { ...DefaultRuntimeSettings.pull, window: config.PULL_WINDOW },
      shutdownGraceMs: config.SHUTDOWN_GRACE_MS,
      streams: streamSettings,
    },
  });
  const publisher = new JetStreamPublisher(js, contracts, source, uniqueLocks, statuses);
  const outbox = new Outbox(contracts, source);
  const data = {
    database,
    outbox,
    delayedJobs: new DelayedJobs(database.dataSource, outbox),
    inbox: new Inbox(database.dataSource),
  };

  @Module({
    imports: [
      WorkerCoreModule.forService({ runtime, metrics, publisher, data, config, logger, nc }),
      definition.module,
    ],
  })
  class ServiceRootModule {}

  const app = await NestFactory.create(ServiceRootModule, {
    logger: new PinoNestLogger(logger),
    abortOnError: false,
  });
  const server = new JetStreamServer(runtime, () =>
    app.get(JobHandlerExplorer).explore(hasGlobalEnhancers(app)),
  );
  app.connectMicroservice({ strategy: server }, { inheritAppConfig: true });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await runtime.drain();
    await statuses?.stop();
    batches.stop();
    await app.close();
    await database.close();
    await nc.drain().catch(() => undefined);
  };
  try {
    await app.init();
    await app.startAllMicroservices();
    await app.listen(config.HTTP_PORT, config.HTTP_HOST);
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
  const address = app.getHttpServer().address() as { port: number };
  return { app, runtime, publisher, nc, logger, stop, httpUrl: `http://127.0.0.1:${address.port}` };
}

/** For `main.ts`: start, stop cleanly on SIGTERM/SIGINT, and exit with a readable message on bad config. */
export async function runService<S extends z.ZodType<ServiceConfig>>(
  definition: ServiceDefinition<S>,
): Promise<void> {
  let service: RunningService;
  try {
    service = await startService(definition);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78);
    }
    process.stderr.write(`${definition.name} failed to start: ${(error as Error).stack ?? error}\n`);
    process.exit(1);
  }
  const shutdown = (signal: string) => {
    service.logger.info({ signal }, 'shutting down');
    service.stop().then(
      () => process.exit(0),
      (error: Error) => {
        service.logger.error({ err: error }, 'unclean shutdown');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

/** Global guards, pipes, interceptors or filters mean every handler must go through Nest's chain. */
function hasGlobalEnhancers(app: INestApplication): boolean {
  const config = (app as unknown as { config: ApplicationConfig }).config;
  return (
    config.getGlobalGuards().length +
      config.getGlobalPipes().length +
      config.getGlobalInterceptors().length +
      config.getGlobalFilters().length +
      config.getGlobalRequestGuards().length +
      config.getGlobalRequestPipes().length +
      config.getGlobalRequestInterceptors().length +
      config.getGlobalRequestFilters().length >
    0
  );
}
