import { headers as natsHeaders, type JetStreamClient, type JetStreamManager, type MsgHdrs } from 'nats';
import {
  AttemptsSpentHeader,
  CloudEventHeaders,
  DeadLetterHeaders,
  FirstFailureHeader,
  MsgIdHeader,
} from '@lib/contracts';
import { deadLetterSubject, originalSubjectOf, Streams } from '../names';
import {
  DeadLetterNotFoundError,
  isMissingMessage,
  isMissingStream,
  rethrowMissingStream,
} from './admin-errors';
import { forEachStoredMessage, readStreamPage, type StoredMessage } from './stream-page';
import { decodeBody, headerRecord, headerValue, type DecodedBody } from './message-view';

export interface DeadLetterSummary {
  seq: number;
  /** The subject the message failed on, not its `dlq.` subject. */
  subject: string;
  /** The CloudEvents id, which is also the job id handlers see. */
  id: string | null;
  reason: string;
  error: string;
  attempts: number | null;
  service: string;
  consumer: string;
  /** ISO timestamp of the last failure (the time it was stored when the header is missing). */
  failedAt: string;
  /** Body size in bytes. */
  size: number;
}

export interface DeadLetterDetail extends DeadLetterSummary {
  deadLetterSubject: string;
  storedAt: string;
  headers: Record<string, string[]>;
  body: DecodedBody;
}

export interface DeadLetterQuery {
  /** Original subject, wildcards allowed (`jobs.notifier.*`); all dead letters when omitted. */
  subject?: string;
}

export interface DeadLetterListOptions extends DeadLetterQuery {
  /** Page size; defaults to 50. */
  limit?: number;
  /** DLQ sequence to start at: the `nextSeq` of the previous page. */
  fromSeq?: number;
}

export interface DeadLetterPage {
  letters: DeadLetterSummary[];
  /** Pass as `fromSeq` for the next page; null on the last page. */
  nextSeq: number | null;
}

export interface RetryResult {
  seq: number;
  subject: string;
  /** The `Nats-Msg-Id` of the republished copy. */
  msgId: string;
  stream: string;
  streamSeq: number;
  /** The same retry already went through within the duplicate window, so nothing new was stored. */
  duplicate: boolean;
}

export interface RetryAllResult {
  retried: number;
  /** These dead letters stay in the DLQ. */
  failures: { seq: number; subject: string; error: string }[];
}

const DefaultPageSize = 50;
const BulkPageSize = 100;

/** Browse, retry and discard dead letters (`dlq.<original subject>` in the DLQ stream). */
export class DeadLetterAdmin {
  private readonly stream = Streams.deadLetters.name;
  private readonly js: JetStreamClient;

  constructor(private readonly jsm: JetStreamManager) {
    this.js = jsm.jetstream();
  }

  async list(options: DeadLetterListOptions = {}): Promise<DeadLetterPage> {
    const page = await readStreamPage(this.jsm, this.stream, {
      filterSubject: deadLetterFilter(options.subject),
      fromSeq: options.fromSeq,
      limit: options.limit ?? DefaultPageSize,
      headersOnly: true,
    });
    return { letters: page.messages.map(summarize), nextSeq: page.nextSeq };
  }

  /** How many dead letters match, without reading them. */
  async count(query: DeadLetterQuery = {}): Promise<number> {
    const info = await this.jsm.streams
      .info(this.stream, { subjects_filter: deadLetterFilter(query.subject) })
      .catch(rethrowMissingStream(this.stream));
    return Object.values(info.state.subjects ?? {}).reduce((sum, messages) => sum + messages, 0);
  }

  async inspect(seq: number): Promise<DeadLetterDetail> {
    const message = await this.load(seq);
    return {
      ...summarize(message),
      deadLetterSubject: message.subject,
      storedAt: message.storedAt.toISOString(),
      headers: headerRecord(message.headers),
      body: decodeBody(message.data),
    };
  }

  /**
   * Republishes the dead letter to its original subject, then removes it from the DLQ. The removal waits
   * for the stream's acknowledgement of the copy, so a failed publish leaves the dead letter where it was.
   */
  async retry(seq: number): Promise<RetryResult> {
    return this.republish(await this.load(seq));
  }

  /** Retries every matching dead letter stored when the call began (not those that fail again meanwhile). */
  async retryAll(query: DeadLetterQuery = {}): Promise<RetryAllResult> {
    const lastSeqAtStart = await this.lastSeq();
    const result: RetryAllResult = { retried: 0, failures: [] };
    const scan = {
      filterSubject: deadLetterFilter(query.subject),
      pageSize: BulkPageSize,
      upToSeq: lastSeqAtStart,
    };
    await forEachStoredMessage(this.jsm, this.stream, scan, async (message) => {
      try {
        await this.republish(message);
        result.retried++;
      } catch (error) {
        result.failures.push({
          seq: message.seq,
          subject: originalSubjectFor(message),
          error: messageOf(error),
        });
      }
    });
    return result;
  }

  async delete(seq: number): Promise<void> {
    await this.jsm.streams.deleteMessage(this.stream, seq, false).catch((error: unknown) => {
      if (isMissingMessage(error)) throw new DeadLetterNotFoundError(this.stream, seq);
      return rethrowMissingStream(this.stream)(error);
    });
  }

  /** Removes every matching dead letter; returns how many went. */
  async purge(query: DeadLetterQuery = {}): Promise<number> {
    const response = await this.jsm.streams
      .purge(this.stream, { filter: deadLetterFilter(query.subject) })
      .catch(rethrowMissingStream(this.stream));
    return response.purged;
  }

  private async republish(message: StoredMessage): Promise<RetryResult> {
    const subject = originalSubjectFor(message);
    const { headers, msgId } = retryHeaders(message.headers, message.seq);
    const ack = await this.js.publish(subject, message.data, { headers, msgID: msgId });
    try {
      await this.jsm.streams.deleteMessage(this.stream, message.seq, false);
    } catch (error) {
      // Someone else retried or deleted it meanwhile: the outcome we wanted.
      if (!isMissingMessage(error)) {
        throw new Error(
          `Dead letter ${message.seq} was republished (${ack.stream} seq ${ack.seq}) but not removed from ` +
            `${this.stream}: ${messageOf(error)}. Retry it again soon to remove it: within the duplicate ` +
            'window the copy is not stored twice.',
        );
      }
    }
    return {
      seq: message.seq,
      subject,
      msgId,
      stream: ack.stream,
      streamSeq: ack.seq,
      duplicate: ack.duplicate,
    };
  }

  private async load(seq: number): Promise<StoredMessage> {
    try {
      const stored = await this.jsm.streams.getMessage(this.stream, { seq });
      const { subject, data, header, time } = stored;
      return { seq: stored.seq, subject, data, headers: header, size: data.length, storedAt: time };
    } catch (error) {
      if (isMissingStream(error)) return rethrowMissingStream(this.stream)(error);
      if (isMissingMessage(error)) throw new DeadLetterNotFoundError(this.stream, seq);
      throw error;
    }
  }

  private async lastSeq(): Promise<number> {
    const info = await this.jsm.streams.info(this.stream).catch(rethrowMissingStream(this.stream));
    return info.state.last_seq;
  }
}

/** Accepts the original subject (`jobs.notifier.*`) and, forgivingly, the `dlq.` form too. */
export function deadLetterFilter(subject: string | undefined): string {
  if (!subject) return deadLetterSubject('>');
  return subject.startsWith('dlq.') ? subject : deadLetterSubject(subject);
}

/**
 * The original headers minus the DLQ bookkeeping, with a new message id: the original id is still in the
 * stream's duplicate window when a job is retried soon after failing, and a reused id would be dropped.
 * The attempts already spent are dropped too: an operator's retry starts a fresh round of attempts.
 */
export function retryHeaders(
  original: MsgHdrs | undefined,
  deadLetterSeq: number,
): { headers: MsgHdrs; msgId: string } {
  const headers = natsHeaders();
  for (const [name, values] of original ?? []) {
    const lower = name.toLowerCase();
    // A retried job starts a new life: full attempts, and its failures are counted from now.
    const stale = name === AttemptsSpentHeader || name === FirstFailureHeader;
    if (lower.startsWith('dlq-') || lower === MsgIdHeader.toLowerCase() || stale) continue;
    for (const value of values) headers.append(name, value);
  }
  const id = headerValue(original, CloudEventHeaders.id) ?? String(deadLetterSeq);
  return { headers, msgId: `${id}:retry:${deadLetterSeq}` };
}

function summarize(message: StoredMessage): DeadLetterSummary {
  const h = message.headers;
  const attempts = Number.parseInt(headerValue(h, DeadLetterHeaders.attempts) ?? '', 10);
  return {
    seq: message.seq,
    subject: originalSubjectFor(message),
    id: headerValue(h, CloudEventHeaders.id) ?? null,
    reason: headerValue(h, DeadLetterHeaders.reason) ?? 'unknown',
    error: headerValue(h, DeadLetterHeaders.error) ?? '',
    attempts: Number.isFinite(attempts) ? attempts : null,
    service: headerValue(h, DeadLetterHeaders.service) ?? '',
    consumer: headerValue(h, DeadLetterHeaders.consumer) ?? '',
    failedAt: headerValue(h, DeadLetterHeaders.lastFailureAt) ?? message.storedAt.toISOString(),
    size: message.size,
  };
}

function originalSubjectFor(message: StoredMessage): string {
  return headerValue(message.headers, DeadLetterHeaders.subject) ?? originalSubjectOf(message.subject);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
