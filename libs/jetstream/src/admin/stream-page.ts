import { AckPolicy, DeliverPolicy, nanos, type JetStreamManager, type JsMsg, type MsgHdrs } from 'nats';
import { rethrowMissingStream } from './admin-errors';

export interface StoredMessage {
  seq: number;
  subject: string;
  headers?: MsgHdrs;
  /** Empty when the page was read headers-only. */
  data: Uint8Array;
  /** Body size in bytes, known even when the body was not transferred. */
  size: number;
  storedAt: Date;
}

export interface PageRequest {
  filterSubject: string;
  /** First stream sequence to consider; defaults to the start of the stream. */
  fromSeq?: number;
  limit: number;
  /** Only headers travel (the server adds the body size): enough for listings, far less traffic. */
  headersOnly?: boolean;
  /** Ignore anything stored after this sequence, e.g. messages a bulk operation produces itself. */
  upToSeq?: number;
}

export interface MessagePage {
  messages: StoredMessage[];
  /** Where the next page starts, or null when this page reached the end. */
  nextSeq: number | null;
}

/** Added by the server to headers-only deliveries. */
const BodySizeHeader = 'Nats-Msg-Size';
/** A scan consumer left behind by a crashed caller removes itself after this long. */
const ScanConsumerIdleMs = 30_000;
/** Only waited for when messages vanish between counting and fetching them. */
const FetchExpiresMs = 3_000;

/**
 * Reads one page of a stream through a short-lived, unacknowledged consumer: one round trip for the whole
 * page instead of one `getMessage` per sequence, and the server does the subject filtering, so a large
 * stream with sparse matches costs no more than a small one. Sequence gaps (deleted messages) are skipped.
 */
export async function readStreamPage(
  jsm: JetStreamManager,
  stream: string,
  request: PageRequest,
): Promise<MessagePage> {
  const fromSeq = Math.max(1, Math.floor(request.fromSeq ?? 1));
  const info = await jsm.consumers
    .add(stream, {
      ack_policy: AckPolicy.None,
      deliver_policy: fromSeq > 1 ? DeliverPolicy.StartSequence : DeliverPolicy.All,
      ...(fromSeq > 1 ? { opt_start_seq: fromSeq } : {}),
      filter_subject: request.filterSubject,
      headers_only: request.headersOnly ?? false,
      mem_storage: true,
      inactive_threshold: nanos(ScanConsumerIdleMs),
    })
    .catch(rethrowMissingStream(stream));
  try {
    // num_pending is exact at creation, so the fetch asks for no more than exists and returns at once.
    const wanted = Math.min(request.limit, info.num_pending);
    if (wanted <= 0) return { messages: [], nextSeq: null };
    const consumer = await jsm.jetstream().consumers.get(stream, info.name);
    const batch = await consumer.fetch({ max_messages: wanted, expires: FetchExpiresMs });
    const messages: StoredMessage[] = [];
    let pendingAfterLast = 0;
    try {
      for await (const msg of batch) {
        if (request.upToSeq !== undefined && msg.seq > request.upToSeq) {
          pendingAfterLast = 0;
          break;
        }
        messages.push(toStoredMessage(msg, request.headersOnly ?? false));
        pendingAfterLast = msg.info.pending;
        if (messages.length >= wanted) break;
      }
    } finally {
      batch.stop();
    }
    const last = messages.at(-1);
    const more = last !== undefined && pendingAfterLast > 0 && (request.upToSeq ?? Infinity) > last.seq;
    return { messages, nextSeq: more ? last.seq + 1 : null };
  } finally {
    // The idle threshold would remove it too; deleting now keeps consumer listings free of scan leftovers.
    await jsm.consumers.delete(stream, info.name).catch(() => undefined);
  }
}

export interface ScanRequest extends Omit<PageRequest, 'fromSeq' | 'limit'> {
  pageSize: number;
}

/** Visits every matching message page by page; `visit` may delete what it is given. */
export async function forEachStoredMessage(
  jsm: JetStreamManager,
  stream: string,
  request: ScanRequest,
  visit: (message: StoredMessage) => Promise<void>,
): Promise<void> {
  const { pageSize, ...pageRequest } = request;
  let fromSeq: number | null = 1;
  while (fromSeq !== null) {
    const page: MessagePage = await readStreamPage(jsm, stream, { ...pageRequest, fromSeq, limit: pageSize });
    for (const message of page.messages) await visit(message);
    fromSeq = page.nextSeq;
  }
}

function toStoredMessage(msg: JsMsg, headersOnly: boolean): StoredMessage {
  const declaredSize = headersOnly ? Number.parseInt(msg.headers?.get(BodySizeHeader) ?? '', 10) : NaN;
  return {
    seq: msg.seq,
    subject: msg.subject,
    headers: msg.headers,
    data: msg.data,
    size: Number.isFinite(declaredSize) ? declaredSize : msg.data.length,
    storedAt: new Date(Math.floor(msg.info.timestampNanos / 1e6)),
  };
}
