import type { HttpResponse } from '../auth/http-types';

/** Scripts and styles only from the dashboard itself; no framing, no sniffing, no referrer to elsewhere. */
export function securityHeaders(response: HttpResponse): void {
  response.removeHeader('X-Powered-By');
  response.setHeader(
    'Content-Security-Policy',
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; " +
      "frame-ancestors 'none'; base-uri 'none'",
  );
  response.setHeader('X-Content-Type-Options', 'nosniff');
  response.setHeader('X-Frame-Options', 'DENY');
  response.setHeader('Referrer-Policy', 'same-origin');
  response.setHeader('Cache-Control', 'no-store');
}

export function sendHtml(response: HttpResponse, status: number, html: string): void {
  securityHeaders(response);
  response.status(status).type('text/html; charset=utf-8').send(html);
}

export function sendJson(response: HttpResponse, status: number, body: unknown): void {
  securityHeaders(response);
  response.status(status).json(body);
}

/** 303: the browser follows with a GET, so reloading the result page does not repeat the action. */
export function redirectAfterPost(response: HttpResponse, location: string): void {
  securityHeaders(response);
  response.redirect(303, location);
}
