import type { DataSource } from 'typeorm';

export interface DatabaseLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/**
 * Owns the service's DataSource. A service starts even when PostgreSQL is down (its readiness says so) and
 * keeps trying to connect in the background, so that a database restart never needs a redeploy.
 */
export class DatabaseConnection {
  private initializing?: Promise<void>;
  private closed = false;

  constructor(
    readonly dataSource: DataSource,
    private readonly logger: DatabaseLogger,
    private readonly retryDelayMs = 2_000,
  ) {}

  /** Resolves once connected; retries until then or until `close`. */
  connect(): Promise<void> {
    this.initializing ??= this.connectWithRetry();
    return this.initializing;
  }

  /** True when a trivial query answers within `timeoutMs`. */
  async ping(timeoutMs = 2_000): Promise<boolean> {
    if (!this.dataSource.isInitialized) return false;
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
      const query = this.dataSource.query('SELECT 1').then(() => true as const);
      return await Promise.race([query, timeout]);
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }

  private async connectWithRetry(): Promise<void> {
    for (let attempt = 1; !this.closed; attempt++) {
      try {
        await this.dataSource.initialize();
        this.logger.info({ attempt }, 'connected to PostgreSQL');
        return;
      } catch (error) {
        this.logger.warn({ err: error, attempt }, 'PostgreSQL unavailable; retrying');
        await new Promise((resolve) => setTimeout(resolve, this.retryDelayMs));
      }
    }
  }
}
