import {
  createInbox,
  ErrorCode,
  NatsError,
  type ApiError,
  type JetStreamClient,
  type Msg,
  type MsgHdrs,
  type NatsConnection,
  type PubAck,
} from 'nats';

/** Publishes one message to its stream and resolves with the stream's ack. */
export type StreamPublish = (
  subject: string,
  data: string | Uint8Array,
  headers?: MsgHdrs,
) => Promise<PubAck>;

/** Through the connection's `StreamAcks`, or `js.publish` where nats.js does not expose the connection. */
export function streamPublisher(js: JetStreamClient): StreamPublish {
  const acks = StreamAcks.of(js);
  return acks
    ? (subject, data, headers) => acks.publish(subject, data, headers)
    : (subject, data, headers) => js.publish(subject, data, { headers });
}

/** nats.js's default for JetStream requests. */
export const DefaultAckTimeoutMs = 5_000;

interface Waiting {
  resolve(ack: PubAck): void;
  reject(error: Error): void;
  expiresAt: number;
}

const decoder = new TextDecoder();

/**
 * Publishes to streams and routes their acks back over one inbox subscription per connection.
 *
 * `js.publish` sends each message as a core request: an async generator step, a request object with its own
 * timer, and an Error built when the request is cleaned up, even on success. That cost 33 µs of client CPU per
 * message here against 7 µs for a plain publish with a reply subject on a shared subscription (100k messages,
 * 1,000 in flight). Same answers: the stream's `PubAck`, the server's JetStream errors as `NatsError` with
 * `api_error`, `503` (no stream for the subject), `TIMEOUT` and `CONNECTION_CLOSED`.
 */
export class StreamAcks {
  private static readonly byConnection = new WeakMap<NatsConnection, StreamAcks>();

  /** The router of `js`'s connection; undefined when nats.js does not expose it (then use `js.publish`). */
  static of(js: JetStreamClient): StreamAcks | undefined {
    const nc = (js as unknown as { nc?: NatsConnection & { options?: { inboxPrefix?: string } } }).nc;
    if (!nc || typeof nc.publish !== 'function' || typeof nc.subscribe !== 'function') return undefined;
    let acks = StreamAcks.byConnection.get(nc);
    if (!acks) StreamAcks.byConnection.set(nc, (acks = new StreamAcks(nc, nc.options?.inboxPrefix)));
    return acks;
  }

  private readonly prefix: string;
  private readonly waiting = new Map<string, Waiting>();
  private sent = 0;
  private sweeper?: NodeJS.Timeout;
  private closedWith?: Error;

  constructor(
    private readonly nc: NatsConnection,
    inboxPrefix?: string,
  ) {
    // The connection's own inbox prefix: a user allowed only `_INBOX_publisher.>` receives acks there.
    this.prefix = `${createInbox(inboxPrefix)}.`;
    nc.subscribe(`${this.prefix}*`, { callback: (_, msg) => this.settle(msg) });
    void nc.closed().then(() => this.rejectAll(NatsError.errorForCode(ErrorCode.ConnectionClosed)));
  }

  /** Publishes `data` and resolves with the stream's ack; rejects as `js.publish` does. */
  publish(
    subject: string,
    data: string | Uint8Array,
    headers?: MsgHdrs,
    timeoutMs = DefaultAckTimeoutMs,
  ): Promise<PubAck> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    const token = (++this.sent).toString(36);
    return new Promise<PubAck>((resolve, reject) => {
      this.waiting.set(token, { resolve, reject, expiresAt: Date.now() + timeoutMs });
      try {
        this.nc.publish(subject, data, { reply: this.prefix + token, headers });
      } catch (error) {
        this.waiting.delete(token);
        reject(error as Error);
        return;
      }
      this.sweeper ??= this.startSweeping(timeoutMs);
    });
  }

  /** Acks still awaited (for tests and shutdown). */
  get inFlight(): number {
    return this.waiting.size;
  }

  private settle(msg: Msg): void {
    const token = msg.subject.slice(this.prefix.length);
    const waiting = this.waiting.get(token);
    if (waiting === undefined) return; // timed out already
    this.waiting.delete(token);
    try {
      waiting.resolve(parseAck(msg));
    } catch (error) {
      waiting.reject(error as Error);
    }
  }

  /** One timer for every ack awaited, not one per message; it stops when none is left. */
  private startSweeping(timeoutMs: number): NodeJS.Timeout {
    const timer = setInterval(
      () => {
        const now = Date.now();
        for (const [token, waiting] of this.waiting) {
          if (waiting.expiresAt > now) continue;
          this.waiting.delete(token);
          waiting.reject(NatsError.errorForCode(ErrorCode.Timeout));
        }
        if (this.waiting.size === 0) {
          clearInterval(timer);
          this.sweeper = undefined;
        }
      },
      Math.max(10, Math.min(250, Math.floor(timeoutMs / 4))),
    );
    timer.unref();
    return timer;
  }

  private rejectAll(error: Error): void {
    this.closedWith = error;
    for (const waiting of this.waiting.values()) waiting.reject(error);
    this.waiting.clear();
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
  }
}

/** The stream's answer, read as nats.js reads it. */
function parseAck(msg: Msg): PubAck {
  if (msg.data.length === 0 && msg.headers?.code === 503)
    throw NatsError.errorForCode(ErrorCode.NoResponders);
  let answer: Partial<PubAck> & { error?: ApiError };
  try {
    answer = JSON.parse(decoder.decode(msg.data)) as typeof answer;
  } catch {
    throw NatsError.errorForCode(ErrorCode.JetStreamInvalidAck);
  }
  if (answer.error && answer.error.code >= 300) {
    const description = answer.error.description?.toLowerCase() || ErrorCode.Unknown;
    const error =
      answer.error.code === 503
        ? NatsError.errorForCode(ErrorCode.JetStreamNotEnabled, new Error(description))
        : new NatsError(description, String(answer.error.code));
    error.api_error = answer.error;
    throw error;
  }
  if (!answer.stream) throw NatsError.errorForCode(ErrorCode.JetStreamInvalidAck);
  return {
    stream: answer.stream,
    seq: answer.seq ?? 0,
    duplicate: answer.duplicate ?? false,
    domain: answer.domain,
  } as PubAck;
}
