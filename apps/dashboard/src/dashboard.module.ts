import { Module } from '@nestjs/common';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import {
  JetStreamPublisher,
  JobStatuses,
  LOGGER,
  NATS_CONNECTION,
  OperatorAdmin,
  RateLimitAdmin,
  SERVICE_CONFIG,
  type ServiceConfig,
} from '@lib/jetstream';
import { DashboardAuth } from './auth/dashboard-auth';
import { LoginController } from './auth/login.controller';
import { SessionGuard } from './auth/session.guard';
import { DashboardActions } from './dashboard-actions.service';
import { DashboardData } from './dashboard-data.service';
import { JobLookup } from './jobs/job-lookup';
import { HistorySampler } from './overview/history-sampler.service';
import { PausedKeys } from './rate-limits/paused-keys';
import { ScheduledJobs } from './scheduled/scheduled-jobs';
import { Renderer } from './views/renderer';
import { ApiController } from './web/api.controller';
import { AssetsController } from './web/assets.controller';
import { DashboardExceptionFilter } from './web/dashboard-exception.filter';
import { PageActionsController } from './web/page-actions.controller';
import { PagesController } from './web/pages.controller';

/** Dashboard: the operators' web UI and JSON admin API. It consumes no subject. */
@Module({
  controllers: [LoginController, AssetsController, PagesController, PageActionsController, ApiController],
  providers: [
    {
      provide: OperatorAdmin,
      inject: [NATS_CONNECTION, JetStreamPublisher, LOGGER, SERVICE_CONFIG],
      useFactory: (
        nc: Parameters<typeof OperatorAdmin.open>[0],
        publisher: JetStreamPublisher,
        logger: Logger,
        config: ServiceConfig,
      ) => OperatorAdmin.open(nc, publisher, logger, config.NATS_STREAM_REPLICAS),
    },
    {
      provide: RateLimitAdmin,
      inject: [NATS_CONNECTION, SERVICE_CONFIG],
      useFactory: (nc: Parameters<typeof RateLimitAdmin.open>[0], config: ServiceConfig) =>
        RateLimitAdmin.open(nc, config.NATS_STREAM_REPLICAS),
    },
    {
      provide: JobStatuses,
      inject: [DataSource],
      useFactory: (dataSource: DataSource) => new JobStatuses(dataSource),
    },
    DashboardAuth,
    SessionGuard,
    Renderer,
    DashboardExceptionFilter,
    ScheduledJobs,
    HistorySampler,
    DashboardData,
    DashboardActions,
    PausedKeys,
    JobLookup,
  ],
})
export class DashboardModule {}
