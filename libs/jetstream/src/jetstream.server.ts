import { Server, type CustomTransportStrategy } from '@nestjs/microservices';
import type { JobHandler } from './job-handler';
import type { WorkerRuntime } from './worker-runtime';

/**
 * The Nest transport: Nest calls `listen` once the application is initialised, when every handler exists;
 * the runtime does the work. Nest's own handler registry is not used (see JobHandlerExplorer).
 */
export class JetStreamServer extends Server implements CustomTransportStrategy {
  constructor(
    private readonly runtime: WorkerRuntime,
    private readonly discoverHandlers: () => Map<string, JobHandler[]>,
  ) {
    super();
  }

  listen(callback: (error?: unknown) => void): void {
    Promise.resolve()
      .then(() => this.runtime.start(this.discoverHandlers()))
      .then(() => callback(), callback);
  }

  async close(): Promise<void> {
    await this.runtime.close();
  }

  on(): void {
    // The runtime reports through logs, metrics and the health endpoints rather than transport events.
  }

  unwrap<T>(): T {
    return this.runtime as T;
  }
}
