import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import type { NatsConnection } from 'nats';
import { DataSource } from 'typeorm';
import { DatabaseConnection, DelayedJobs, Inbox, Outbox } from '@lib/db';
import { JobHandlerExplorer } from './handler-discovery';
import { HealthController } from './health.controller';
import { WorkerMetrics } from './metrics';
import { JetStreamPublisher } from './publisher';
import { WorkerRuntime } from './worker-runtime';

export const SERVICE_CONFIG = Symbol('SERVICE_CONFIG');
export const LOGGER = Symbol('LOGGER');
export const NATS_CONNECTION = Symbol('NATS_CONNECTION');

export interface WorkerCoreDependencies {
  runtime: WorkerRuntime;
  metrics: WorkerMetrics;
  publisher: JetStreamPublisher;
  data: { database: DatabaseConnection; outbox: Outbox; delayedJobs: DelayedJobs; inbox: Inbox };
  config: object;
  logger: object;
  nc: NatsConnection;
}

/**
 * What every service gets: the publisher, the database with its outbox, delayed jobs and inbox, its config
 * and logger, health and metrics routes.
 */
@Module({})
export class WorkerCoreModule {
  static forService(dependencies: WorkerCoreDependencies): DynamicModule {
    const providers: Provider[] = [
      { provide: WorkerRuntime, useValue: dependencies.runtime },
      { provide: WorkerMetrics, useValue: dependencies.metrics },
      { provide: JetStreamPublisher, useValue: dependencies.publisher },
      { provide: DatabaseConnection, useValue: dependencies.data.database },
      { provide: DataSource, useValue: dependencies.data.database.dataSource },
      { provide: Outbox, useValue: dependencies.data.outbox },
      { provide: DelayedJobs, useValue: dependencies.data.delayedJobs },
      { provide: Inbox, useValue: dependencies.data.inbox },
      { provide: NATS_CONNECTION, useValue: dependencies.nc },
      { provide: SERVICE_CONFIG, useValue: dependencies.config },
      { provide: LOGGER, useValue: dependencies.logger },
      JobHandlerExplorer,
    ];
    return {
      module: WorkerCoreModule,
      global: true,
      imports: [DiscoveryModule],
      controllers: [HealthController],
      providers,
      exports: providers,
    };
  }
}
