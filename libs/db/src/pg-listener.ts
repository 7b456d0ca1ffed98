import { Client } from 'pg';

export interface ListenerLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/**
 * A dedicated connection for LISTEN (a pooled one would lose its subscription when returned). It reconnects
 * on its own and calls `onReconnect`, because notifications sent while it was away are gone.
 */
export class PgListener {
  private client?: Client;
  private stopped = false;
  private retryTimer?: NodeJS.Timeout;

  constructor(
    private readonly url: string,
    private readonly channel: string,
    private readonly onNotify: (payload: string | undefined) => void,
    private readonly onReconnect: () => void,
    private readonly logger: ListenerLogger,
  ) {
    if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`Invalid channel name ${channel}`);
  }

  async start(): Promise<void> {
    this.stopped = false;
    await this.connect(true);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    await this.client?.end().catch(() => undefined);
    this.client = undefined;
  }

  private async connect(first: boolean): Promise<void> {
    const client = new Client({ connectionString: this.url, application_name: `listen:${this.channel}` });
    client.on('notification', (message) => this.onNotify(message.payload));
    client.on('error', (error) => this.scheduleReconnect(client, error));
    client.on('end', () => this.scheduleReconnect(client, new Error('connection ended')));
    try {
      await client.connect();
      await client.query(`LISTEN ${this.channel}`);
      this.client = client;
      if (!first) {
        this.logger.info({ channel: this.channel }, 'LISTEN connection restored');
        this.onReconnect();
      }
    } catch (error) {
      await client.end().catch(() => undefined);
      this.scheduleReconnect(client, error as Error);
    }
  }

  private scheduleReconnect(client: Client, error: Error): void {
    if (this.stopped || (this.client && this.client !== client) || this.retryTimer) return;
    this.client = undefined;
    this.logger.warn({ err: error, channel: this.channel }, 'LISTEN connection lost; reconnecting');
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.connect(false);
    }, 1000);
  }
}
