import { Controller, Get, Header, HttpCode, HttpException, HttpStatus, Inject } from '@nestjs/common';
import { DatabaseConnection } from '@lib/db';
import { WorkerMetrics } from './metrics';
import { WorkerRuntime } from './worker-runtime';

@Controller()
export class HealthController {
  constructor(
    @Inject(WorkerRuntime) private readonly runtime: WorkerRuntime,
    @Inject(DatabaseConnection) private readonly database: DatabaseConnection,
    @Inject(WorkerMetrics) private readonly metrics: WorkerMetrics,
  ) {}

  /** The process is alive (its event loop answers); restarting it would not help otherwise. */
  @Get('health/live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Ready to do work: consuming from NATS and able to reach PostgreSQL. */
  @Get('health/ready')
  @HttpCode(200)
  async ready(): Promise<{ status: string; nats: boolean; database: boolean; inFlight: number }> {
    const nats = this.runtime.ready;
    const database = await this.database.ping();
    const body = {
      status: nats && database ? 'ok' : 'unavailable',
      nats,
      database,
      inFlight: this.runtime.inFlight,
    };
    if (body.status !== 'ok') throw new HttpException(body, HttpStatus.SERVICE_UNAVAILABLE);
    return body;
  }

  @Get('metrics')
  @Header('Cache-Control', 'no-store')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  async scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
