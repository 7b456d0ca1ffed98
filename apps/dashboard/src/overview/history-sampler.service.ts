import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { Logger } from 'pino';
import { LOGGER, OperatorAdmin, SERVICE_CONFIG } from '@lib/jetstream';
import type { DashboardConfig } from '../config';
import { JobHistory } from './job-history';

/** Samples the worker heartbeats on a timer into the per-minute history the overview charts. */
@Injectable()
export class HistorySampler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly history = new JobHistory(60);
  private timer?: NodeJS.Timeout;
  private sampling?: Promise<void>;

  constructor(
    private readonly admin: OperatorAdmin,
    @Inject(SERVICE_CONFIG) private readonly config: DashboardConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.sampling = this.sample();
    this.timer = setInterval(() => {
      this.sampling = this.sample();
    }, this.config.DASHBOARD_SAMPLE_MS);
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.sampling;
  }

  async sample(): Promise<void> {
    try {
      this.history.record(await this.admin.workers.list(), Date.now());
    } catch (error) {
      // NATS away for a moment: that minute shows nothing, the next sample counts the difference.
      this.logger.warn({ err: error }, 'could not sample worker heartbeats');
    }
  }
}
