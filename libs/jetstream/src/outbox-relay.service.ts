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
import { WorkerMetrics } from './metrics';
import { OutboxRelay } from './outbox-relay';
import type { ServiceConfig } from './service-config';
import { LOGGER, NATS_CONNECTION, SERVICE_CONFIG } from './worker-core.module';

/** Runs the outbox relay for as long as the service runs (the scheduler lists it); replicas may each run one. */
@Injectable()
export class OutboxRelayService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly relay: OutboxRelay;

  constructor(
    @Inject(DataSource) dataSource: DataSource,
    @Inject(NATS_CONNECTION) nc: NatsConnection,
    @Inject(LOGGER) logger: Logger,
    @Inject(SERVICE_CONFIG) config: ServiceConfig & { OUTBOX_LISTEN_URL?: string },
    @Inject(WorkerMetrics) metrics: WorkerMetrics,
  ) {
    this.relay = new OutboxRelay(
      dataSource,
      nc.jetstream(),
      // Behind PgBouncer in transaction mode LISTEN does not work: the listener then needs a direct URL.
      config.OUTBOX_LISTEN_URL ?? config.DATABASE_URL,
      logger.child({ part: 'outbox' }),
    );
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
