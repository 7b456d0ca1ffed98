import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { DatabaseConnection } from '@lib/db';
import { JobHandlerExplorer } from './handler-discovery';
import { HealthController } from './health.controller';
import { WorkerMetrics } from './metrics';
import { JetStreamPublisher } from './publisher';
import { WorkerRuntime } from './worker-runtime';

export const SERVICE_CONFIG = Symbol('SERVICE_CONFIG');
export const LOGGER = Symbol('LOGGER');

export interface WorkerCoreDependencies {
  runtime: WorkerRuntime;
  metrics: WorkerMetrics;
  publisher: JetStreamPublisher;
  database: DatabaseConnection;
  config: object;
  logger: object;
}

/** What every service gets: the publisher, the database, its config and logger, health and metrics routes. */
@Module({})
export class WorkerCoreModule {
  static forService(dependencies: WorkerCoreDependencies): DynamicModule {
    const providers: Provider[] = [
      { provide: WorkerRuntime, useValue: dependencies.runtime },
      { provide: WorkerMetrics, useValue: dependencies.metrics },
      { provide: JetStreamPublisher, useValue: dependencies.publisher },
      { provide: DatabaseConnection, useValue: dependencies.database },
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
