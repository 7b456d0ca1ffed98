import { randomFillSync } from 'node:crypto';

/**
 * CloudEvents 1.0 in NATS binary mode: the attributes travel as `ce-*` headers and the body is the JSON data.
 * `ce-id` doubles as `Nats-Msg-Id`, so a re-published event is dropped by the stream's duplicate window.
 */
export const CloudEventHeaders = {
  id: 'ce-id',
  type: 'ce-type',
  source: 'ce-source',
  time: 'ce-time',
  specversion: 'ce-specversion',
  dataContentType: 'ce-datacontenttype',
} as const;

export const TraceParentHeader = 'traceparent';
export const MsgIdHeader = 'Nats-Msg-Id';

/** Attempts already spent before this message was (re)published, e.g. by a long retry through the outbox. */
export const AttemptsSpentHeader = 'Job-Attempts-Spent';

/** When the job first failed, carried by a retry parked in the outbox so that its dead letter can tell. */
export const FirstFailureHeader = 'Job-First-Failure';
/** The batch a job belongs to (docs/job-lifecycle.md): its final state is counted there before it is acked. */
export const BatchIdHeader = 'Job-Batch-Id';

/** Headers the runtime adds to a message it moves to `dlq.<original subject>`. */
export const DeadLetterHeaders = {
  reason: 'Dlq-Reason',
  error: 'Dlq-Error',
  stack: 'Dlq-Stack',
  attempts: 'Dlq-Attempts',
  service: 'Dlq-Service',
  consumer: 'Dlq-Consumer',
  stream: 'Dlq-Stream',
  streamSeq: 'Dlq-Stream-Seq',
  subject: 'Dlq-Subject',
  enqueuedAt: 'Dlq-Enqueued-At',
  firstFailureAt: 'Dlq-First-Failure',
  lastFailureAt: 'Dlq-Last-Failure',
} as const;

export type DeadLetterReason =
  'invalid-payload' | 'unrecoverable' | 'exhausted' | 'max-deliveries' | 'no-handler';

export const SpecVersion = '1.0';

export interface EnvelopeFields {
  id: string;
  subject: string;
  source: string;
  traceparent: string;
  time?: Date;
}

/** The CloudEvents attributes of one message as plain headers; the id doubles as the stream's dedup key. */
export function cloudEventHeaders(fields: EnvelopeFields): Record<string, string> {
  return {
    [CloudEventHeaders.id]: fields.id,
    [MsgIdHeader]: fields.id,
    [CloudEventHeaders.type]: fields.subject,
    [CloudEventHeaders.source]: fields.source,
    [CloudEventHeaders.time]: (fields.time ?? new Date()).toISOString(),
    [CloudEventHeaders.specversion]: SpecVersion,
    [CloudEventHeaders.dataContentType]: 'application/json',
    [TraceParentHeader]: fields.traceparent,
  };
}

// One crypto call per 170 trace contexts: randomBytes per message was a fifth of the publisher's CPU.
const randomPool = Buffer.alloc(4096);
let randomOffset = randomPool.length;

/** A new W3C trace context root: version 00, random trace and span ids, sampled. */
export function newTraceParent(): string {
  if (randomOffset + 24 > randomPool.length) {
    randomFillSync(randomPool);
    randomOffset = 0;
  }
  const traceId = randomPool.toString('hex', randomOffset, randomOffset + 16);
  const spanId = randomPool.toString('hex', randomOffset + 16, randomOffset + 24);
  randomOffset += 24;
  return `00-${traceId}-${spanId}-01`;
}
