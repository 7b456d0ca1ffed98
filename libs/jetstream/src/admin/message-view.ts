import type { MsgHdrs } from 'nats';

export type DecodedBody = { encoding: 'json'; value: unknown } | { encoding: 'base64'; value: string };

/** A header's first value; NATS answers a missing header with '', which is no value either. */
export function headerValue(headers: MsgHdrs | undefined, name: string): string | undefined {
  const value = headers?.get(name);
  return value ? value : undefined;
}

export function headerRecord(headers: MsgHdrs | undefined): Record<string, string[]> {
  const record: Record<string, string[]> = {};
  for (const [name, values] of headers ?? []) record[name] = [...values];
  return record;
}

/** Bodies are JSON by contract, but a dead letter may be exactly the message that was not. */
export function decodeBody(data: Uint8Array): DecodedBody {
  const buffer = Buffer.from(data);
  try {
    return { encoding: 'json', value: JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(buffer)) };
  } catch {
    return { encoding: 'base64', value: buffer.toString('base64') };
  }
}
