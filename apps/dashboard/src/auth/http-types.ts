/** The parts of Express's request and response the dashboard uses (express ships no types of its own here). */
export interface HttpRequest {
  method: string;
  path: string;
  originalUrl: string;
  headers: Record<string, string | string[] | undefined>;
  body?: unknown;
  query: Record<string, unknown>;
  secure: boolean;
  socket: { remoteAddress?: string };
  /** Set by the session guard for the handlers behind it. */
  session?: import('./session-store').Session;
}

export interface HttpResponse {
  status(code: number): HttpResponse;
  setHeader(name: string, value: string | string[]): void;
  removeHeader(name: string): void;
  getHeader(name: string): unknown;
  redirect(code: number, url: string): void;
  type(contentType: string): HttpResponse;
  send(body: string | Buffer): void;
  json(body: unknown): void;
  headersSent: boolean;
}

export function header(request: HttpRequest, name: string): string | undefined {
  const value = request.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

export function parseCookies(request: HttpRequest): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (header(request, 'cookie') ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at <= 0) continue;
    const name = part.slice(0, at).trim();
    try {
      cookies.set(name, decodeURIComponent(part.slice(at + 1).trim()));
    } catch {
      // A malformed cookie of someone else's on the same host is not ours to fail on.
    }
  }
  return cookies;
}

export function formField(request: HttpRequest, name: string): string | undefined {
  const body = request.body;
  if (typeof body !== 'object' || body === null) return undefined;
  const value = (body as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : undefined;
}

/** Behind a TLS-terminating proxy the request arrives as http; the proxy says so in X-Forwarded-Proto. */
export function cameOverHttps(request: HttpRequest): boolean {
  return request.secure || header(request, 'x-forwarded-proto')?.split(',')[0].trim() === 'https';
}

export function clientAddress(request: HttpRequest): string {
  return request.socket.remoteAddress ?? 'unknown';
}
