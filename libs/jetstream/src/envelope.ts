import { randomBytes, randomUUID } from 'node:crypto';
import { headers as natsHeaders, type MsgHdrs } from 'nats';
import { CloudEventHeaders, MsgIdHeader, SpecVersion, TraceParentHeader } from '@lib/contracts';

export interface EnvelopeFields {
  id?: string;
  subject: string;
  source: string;
  traceparent?: string;
  extraHeaders?: Record<string, string>;
}

/** CloudEvents 1.0 binary-mode headers; the same id is the stream's deduplication key. */
export function envelopeHeaders(fields: EnvelopeFields): { id: string; headers: MsgHdrs } {
  const id = fields.id ?? randomUUID();
  const h = natsHeaders();
  h.set(CloudEventHeaders.id, id);
  h.set(MsgIdHeader, id);
  h.set(CloudEventHeaders.type, fields.subject);
  h.set(CloudEventHeaders.source, fields.source);
  h.set(CloudEventHeaders.time, new Date().toISOString());
  h.set(CloudEventHeaders.specversion, SpecVersion);
  h.set(CloudEventHeaders.dataContentType, 'application/json');
  h.set(TraceParentHeader, fields.traceparent ?? newTraceParent());
  for (const [name, value] of Object.entries(fields.extraHeaders ?? {})) h.set(name, value);
  return { id, headers: h };
}

/** A new W3C trace context root: version 00, random trace and span ids, sampled. */
export function newTraceParent(): string {
  return `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`;
}

export function traceIdOf(traceparent: string | undefined): string | undefined {
  return traceparent?.split('-')[1];
}
