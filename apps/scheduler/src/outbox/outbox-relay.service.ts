import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { NatsConnection } from 'nats';
import type { Logger } from 'pino';
import { Gauge } from 'prom-client';
import { DataSource } from 'typeorm';
import { LOGGER, NATS_CONNECTION, OutboxRelay, SERVICE_CONFIG, WorkerMetrics, type ServiceConfig } from '@lib/jetstream';

/** Runs the outbox relay for as long as the scheduler runs; every scheduler replica runs one. */
@Injectable()
export class OutboxRelayService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly relay: OutboxRelay;

  constructor(
    @Inject(DataSource) dataSource: DataSource,
    @Inject(NATS_CONNECTION) nc: NatsConnection,
    @Inject(LOGGER) logger: Logger,
    @Inject(SERVICE_CONFIG) config: ServiceConfig,
    @Inject(WorkerMetrics) metrics: WorkerMetrics,
  ) {
    this.relay = new OutboxRelay(dataSource, nc.jetstream(), config.DATABASE_URL, logger.child({ part: 'outbox' }));
    const relay = this.relay;
    new Gauge({
      name: 'outbox_lag_seconds',
      help: 'Age of the oldest outbox row that is due but not yet published',
      registers: [metrics.registry],
      async collect() {
        this.set(await relay.lagSeconds().catch(() => Number.NaN));
      },
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.relay.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.relay.stop();
  }
}
