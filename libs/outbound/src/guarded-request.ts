import { promises as dnsPromises, type LookupAddress } from 'node:dns';
import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { AddressPolicy, isIpLiteral } from './address-policy';
import { OutboundRefusedError, OutboundTimeoutError, ResponseTooLargeError } from './errors';

export interface GuardedRequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Which non-public destinations are allowed; by default none. */
  policy?: AddressPolicy;
  /** For the whole exchange: every hop's connection, its answer and reading the body. */
  timeoutMs: number;
  /** Reading the body fails with ResponseTooLargeError past this many bytes. */
  maxResponseBytes: number;
  /** Redirects followed, each re-checked; 0 returns the 3xx answer itself. Default 5. */
  maxRedirects?: number;
  signal?: AbortSignal;
  /** Where host names are resolved; the system resolver unless a caller (or a test) brings its own. */
  resolveHost?: HostResolver;
}

export type HostResolver = (hostname: string, family?: number) => Promise<LookupAddress[]>;

export interface GuardedResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The address that answered, after redirects. */
  url: string;
  /** The body as it arrives; errors with ResponseTooLargeError past the limit, OutboundTimeoutError past the deadline. */
  body: Readable;
  /** Reads the whole (size-capped) body. */
  buffer(): Promise<Buffer>;
  text(): Promise<string>;
}

const RedirectStatuses = new Set([301, 302, 303, 307, 308]);
const CredentialHeaders = ['authorization', 'cookie', 'proxy-authorization'];

/**
 * HTTP(S) to an address a user typed. Every hop's host is resolved once, each resolved address is checked
 * against the policy, and the socket connects to exactly the address that was checked (the lookup is handed
 * to the connection), so a DNS answer that changes between check and connect cannot reach a private network.
 */
export async function guardedRequest(
  url: string | URL,
  options: GuardedRequestOptions,
): Promise<GuardedResponse> {
  const policy = options.policy ?? new AddressPolicy();
  const maxRedirects = options.maxRedirects ?? 5;
  const deadline = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
  let target = new URL(url);
  let method = (options.method ?? 'GET').toUpperCase();
  let body = options.body;
  let headers = { ...options.headers };

  for (let redirects = 0; ; redirects++) {
    const response = await requestOnce(target, { method, headers, body, policy, signal, deadline, options });
    const location = response.headers.location;
    if (!RedirectStatuses.has(response.statusCode ?? 0) || !location || maxRedirects === 0) {
      return guardedResponse(response, target, signal, deadline, options);
    }
    response.resume();
    if (redirects >= maxRedirects) {
      throw new OutboundRefusedError(target.host, `more than ${maxRedirects} redirects`);
    }
    const next = new URL(location, target);
    if (next.origin !== target.origin) headers = withoutCredentials(headers);
    // As browsers do: 303 (and 301/302 after a POST) become a GET without a body; 307/308 keep both.
    if (
      response.statusCode === 303 ||
      (response.statusCode !== 307 && response.statusCode !== 308 && method === 'POST')
    ) {
      if (method !== 'HEAD') method = 'GET';
      body = undefined;
      headers = withoutBodyHeaders(headers);
    }
    target = next;
  }
}

interface Hop {
  method: string;
  headers: Record<string, string>;
  body: string | Buffer | undefined;
  policy: AddressPolicy;
  signal: AbortSignal;
  deadline: AbortSignal;
  options: GuardedRequestOptions;
}

function requestOnce(target: URL, hop: Hop): Promise<IncomingMessage> {
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    return Promise.reject(
      new OutboundRefusedError(target.host, `the scheme ${target.protocol} is not http or https`),
    );
  }
  const hostname = target.hostname.replace(/^\[(.*)\]$/, '$1');
  if (isIpLiteral(hostname)) {
    // Node connects to a literal address without a lookup, so it is checked here.
    const verdict = hop.policy.check(hostname, hostname);
    if (!verdict.allowed) return Promise.reject(new OutboundRefusedError(target.host, verdict.reason));
  }
  const transport = target.protocol === 'https:' ? https : http;
  return new Promise<IncomingMessage>((resolve, reject) => {
    const request = transport.request(
      {
        protocol: target.protocol,
        hostname,
        port: target.port || undefined,
        path: `${target.pathname}${target.search}`,
        auth: target.username
          ? `${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}`
          : undefined,
        method: hop.method,
        headers:
          hop.body === undefined
            ? hop.headers
            : { ...hop.headers, 'content-length': String(Buffer.byteLength(hop.body)) },
        lookup: checkedLookup(hop.policy, hostname, target.host, hop.options.resolveHost ?? systemResolver),
        // A pooled socket could have been opened under another policy; webhooks gain little from keep-alive.
        agent: false,
        signal: hop.signal,
      },
      resolve,
    );
    request.on('error', (error) =>
      reject(hop.deadline.aborted ? new OutboundTimeoutError(target.host, hop.options.timeoutMs) : error),
    );
    request.end(hop.body);
  });
}

/** dns.lookup, refusing the whole host when any of its addresses is not allowed. */
function checkedLookup(
  policy: AddressPolicy,
  host: string,
  hostAndPort: string,
  resolveHost: HostResolver,
): LookupFunction {
  return (hostname, lookupOptions, callback) => {
    resolveHost(hostname, familyNumber(lookupOptions.family)).then(
      (addresses) => {
        if (addresses.length === 0)
          return callback(new OutboundRefusedError(hostAndPort, 'it resolves to no address'), '', 0);
        for (const { address } of addresses) {
          const verdict = policy.check(host, address);
          if (!verdict.allowed) return callback(new OutboundRefusedError(hostAndPort, verdict.reason), '', 0);
        }
        if (lookupOptions.all) return callback(null, addresses);
        callback(null, addresses[0].address, addresses[0].family);
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 0),
    );
  };
}

function familyNumber(family: number | 'IPv4' | 'IPv6' | undefined): number | undefined {
  return family === 'IPv4' ? 4 : family === 'IPv6' ? 6 : family;
}

/** The system resolver (getaddrinfo: /etc/hosts, then DNS), every address of the host. */
export const systemResolver: HostResolver = (hostname, family) =>
  dnsPromises.lookup(hostname, { all: true, family: family ?? 0 });

function guardedResponse(
  response: IncomingMessage,
  target: URL,
  signal: AbortSignal,
  deadline: AbortSignal,
  options: GuardedRequestOptions,
): GuardedResponse {
  const limit = options.maxResponseBytes;
  const declared = Number(response.headers['content-length']);
  const body = new SizeCap(target.host, limit);
  const fail = (): void => {
    body.destroy(deadline.aborted ? new OutboundTimeoutError(target.host, options.timeoutMs) : signal.reason);
  };
  if (signal.aborted) fail();
  else signal.addEventListener('abort', fail, { once: true });
  body.on('close', () => signal.removeEventListener('abort', fail));
  response.on('error', (error) =>
    body.destroy(deadline.aborted ? new OutboundTimeoutError(target.host, options.timeoutMs) : error),
  );
  if (Number.isFinite(declared) && declared > limit) {
    response.destroy();
    body.destroy(new ResponseTooLargeError(target.host, limit));
  } else {
    response.pipe(body);
  }
  body.on('error', () => response.destroy());
  const buffer = async (): Promise<Buffer> => {
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  };
  return {
    status: response.statusCode ?? 0,
    headers: response.headers,
    url: target.toString(),
    body,
    buffer,
    text: async () => (await buffer()).toString('utf8'),
  };
}

/** Passes bytes through until the limit, then fails the stream instead of buffering more. */
class SizeCap extends Transform {
  private seen = 0;

  constructor(
    private readonly host: string,
    private readonly limit: number,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.limit) return callback(new ResponseTooLargeError(this.host, this.limit));
    callback(null, chunk);
  }
}

function withoutCredentials(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).filter(([name]) => !CredentialHeaders.includes(name.toLowerCase())),
  );
}

function withoutBodyHeaders(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !/^content-/i.test(name)));
}
