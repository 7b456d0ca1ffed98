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
  /** False while migrations are pending: the service must not work on a schema older than its code. */
  schemaCurrent: boolean | null = null;

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

  /** Compares the applied migrations with the ones this code knows; says clearly what to run when behind. */
  async checkSchema(): Promise<boolean> {
    const pending = await this.dataSource.showMigrations();
    if (pending && this.schemaCurrent !== false) {
      this.logger.warn(
        { database: this.dataSource.options.database },
        'the database schema is behind this code: run `npm run db:migrate`; not ready until then',
      );
    }
    if (!pending && this.schemaCurrent === false) this.logger.info({}, 'the database schema is current now');
    this.schemaCurrent = !pending;
    return !pending;
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
        await this.checkSchema();
        return;
      } catch (error) {
        this.logger.warn({ err: error, attempt }, 'PostgreSQL unavailable; retrying');
        await new Promise((resolve) => setTimeout(resolve, this.retryDelayMs));
      }
    }
  }
}
