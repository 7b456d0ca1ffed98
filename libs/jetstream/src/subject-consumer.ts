import { isHeartbeatMsg, nanos, type Msg, type NatsConnection, type JsMsg, type Subscription } from 'nats';
import { toJsMsg } from 'nats/lib/jetstream/jsmsg';
import type { Contract } from '@lib/contracts';
import { Fifo } from './fifo';
import type { JobHandler } from './job-handler';

const PendingMessagesHeader = 'Nats-Pending-Messages';

export interface PullSettings {
  /** Messages requested or in hand per consumer; about 1,000 keeps the broker busy without hoarding. */
  window: number;
  /** Lifetime of one pull request on the server. */
  requestExpiresMs: number;
  /** The server sends a heartbeat this often while a pull request waits; missing two means it is gone. */
  idleHeartbeatMs: number;
  /** Timeout for ack-with-reply operations of the JsMsg wrapper. */
  apiTimeoutMs: number;
}

/**
 * One durable pull consumer of one subject. It keeps `requested + buffered + running <= window` and asks the
 * server for more only as slots free, over its own inbox with a callback subscription: nats.js's `consume()`
 * refills on receipt, not on completion, so a slow handler would let its buffer grow without bound, and its
 * async iterator defeats ack batching.
 */
export class SubjectConsumer {
  readonly buffer = new Fifo<JsMsg>();
  running = 0;
  private requested = 0;
  private lastHeardAt = Date.now();
  private subscription?: Subscription;
  private stopped = false;
  private readonly inbox: string;
  private readonly nextSubject: string;
  readonly window: number;

  constructor(
    private readonly nc: NatsConnection,
    readonly contract: Contract,
    readonly handler: JobHandler,
    readonly stream: string,
    readonly durable: string,
    readonly weight: number,
    private readonly settings: PullSettings,
    private readonly onMessage: (consumer: SubjectConsumer, msg: JsMsg) => void,
    private readonly onProblem: (consumer: SubjectConsumer, problem: string) => void,
  ) {
    this.inbox = `_INBOX.${nc.info?.client_id ?? 'c'}.${durable}.${Math.random().toString(36).slice(2)}`;
    this.nextSubject = `$JS.API.CONSUMER.MSG.NEXT.${stream}.${durable}`;
    this.window = Math.max(1, Math.min(settings.window, contract.options.concurrency ?? Infinity));
  }

  get subject(): string {
    return this.contract.subject;
  }

  get inHand(): number {
    return this.buffer.length + this.running;
  }

  start(): void {
    this.stopped = false;
    this.subscription = this.nc.subscribe(this.inbox, { callback: (error, msg) => this.receive(error, msg) });
    this.requested = 0;
    this.pullIfNeeded();
  }

  /**
   * Stops asking for messages. Unsubscribing the inbox also ends the requests the server still holds for
   * it (the server skips a request whose reply subject lost its interest), so returned messages go to
   * other workers instead of straight back here.
   */
  stop(): void {
    this.stopped = true;
    this.subscription?.unsubscribe();
    this.subscription = undefined;
  }

  pullIfNeeded(): void {
    if (this.stopped) return;
    const deficit = this.window - this.requested - this.buffer.length - this.running;
    // Pull in sizeable batches, unless nothing at all is requested (then any free room is worth a request).
    if (deficit <= 0 || (this.requested > 0 && deficit < Math.ceil(this.window / 4))) return;
    this.requested += deficit;
    this.nc.publish(
      this.nextSubject,
      JSON.stringify({
        batch: deficit,
        expires: nanos(this.settings.requestExpiresMs),
        idle_heartbeat: nanos(this.settings.idleHeartbeatMs),
      }),
      { reply: this.inbox },
    );
  }

  /** Called periodically: requests the server has silently forgotten (reconnect, restart) are re-issued. */
  checkLiveness(now: number): void {
    if (this.stopped || this.requested === 0) return;
    if (now - this.lastHeardAt > this.settings.idleHeartbeatMs * 2 + 1000) this.resetRequests();
  }

  resetRequests(): void {
    this.requested = 0;
    this.lastHeardAt = Date.now();
    this.pullIfNeeded();
  }

  private receive(error: Error | null, msg: Msg): void {
    if (error) {
      this.onProblem(this, `inbox subscription failed: ${error.message}`);
      return;
    }
    this.lastHeardAt = Date.now();
    if (msg.subject !== this.inbox) {
      if (this.requested > 0) this.requested--;
      // nats.js decodes the reply subject lazily from a parser buffer that later messages reuse; a message
      // kept in the buffer must capture its own now, or its ack lands on another message.
      void msg.reply;
      this.onMessage(this, toJsMsg(msg, this.settings.apiTimeoutMs));
      return;
    }
    if (isHeartbeatMsg(msg)) return;
    const code = msg.headers?.code ?? 0;
    const left = Number(msg.headers?.get(PendingMessagesHeader) || 0);
    if (left > 0) {
      // A request ended (expired, or the server gave up on it) with this many messages undelivered.
      this.requested = Math.max(0, this.requested - left);
      this.pullIfNeeded();
      return;
    }
    if (code === 404 || code === 408) return;
    this.onProblem(this, `${code} ${msg.headers?.description ?? 'unknown status'}`);
  }
}
