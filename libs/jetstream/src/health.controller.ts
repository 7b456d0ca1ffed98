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

  /** Ready to do work: consuming from NATS, able to reach PostgreSQL, on a schema as new as this code. */
  @Get('health/ready')
  @HttpCode(200)
  async ready(): Promise<{
    status: string;
    nats: boolean;
    database: boolean;
    schema: boolean;
    inFlight: number;
  }> {
    const nats = this.runtime.ready;
    const database = await this.database.ping();
    // Re-checked while behind, so that running the migrations turns the service ready without a restart.
    const schema =
      database && (this.database.schemaCurrent || (await this.database.checkSchema().catch(() => false)));
    const ok = nats && database && schema;
    const body = {
      status: ok ? 'ok' : 'unavailable',
      nats,
      database,
      schema,
      inFlight: this.runtime.inFlight,
    };
    if (!ok) throw new HttpException(body, HttpStatus.SERVICE_UNAVAILABLE);
    return body;
  }

  @Get('metrics')
  @Header('Cache-Control', 'no-store')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  async scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
