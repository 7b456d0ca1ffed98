import { randomUUID } from 'node:crypto';
import { headers as natsHeaders, type MsgHdrs } from 'nats';
import { cloudEventHeaders, newTraceParent } from '@lib/contracts';

export interface EnvelopeOptions {
  id?: string;
  subject: string;
  source: string;
  traceparent?: string;
  extraHeaders?: Record<string, string>;
}

/** CloudEvents 1.0 binary-mode headers; the same id is the stream's deduplication key. */
export function envelopeHeaders(options: EnvelopeOptions): { id: string; headers: MsgHdrs } {
  const id = options.id ?? randomUUID();
  const fields = { id, subject: options.subject, source: options.source };
  return {
    id,
    headers: toNatsHeaders({
      ...cloudEventHeaders({ ...fields, traceparent: options.traceparent ?? newTraceParent() }),
      ...options.extraHeaders,
    }),
  };
}

export function toNatsHeaders(values: Record<string, string>): MsgHdrs {
  const h = natsHeaders();
  for (const [name, value] of Object.entries(values)) h.set(name, value);
  return h;
}

export function traceIdOf(traceparent: string | undefined): string | undefined {
  return traceparent?.split('-')[1];
}
