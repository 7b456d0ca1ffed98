/*
 * Messages name the host, never the whole URL: webhook URLs carry their credentials in the path
 * (Slack, Discord, Teams), and these messages end up in logs and in `chatbots.last_error`.
 */

/** The URL may not be fetched: its scheme, or an address it resolves to, is not allowed; or it redirects too much. */
export class OutboundRefusedError extends Error {
  override readonly name = 'OutboundRefusedError';
  constructor(
    readonly host: string,
    readonly reason: string,
  ) {
    super(`refused to connect to ${host}: ${reason}`);
  }
}

/** The exchange (connection, answer and body) took longer than its timeout. */
export class OutboundTimeoutError extends Error {
  override readonly name = 'OutboundTimeoutError';
  constructor(
    readonly host: string,
    readonly timeoutMs: number,
  ) {
    super(`${host} did not answer within ${timeoutMs} ms`);
  }
}

/** The answer is bigger than the caller accepts; reading stopped at the limit. */
export class ResponseTooLargeError extends Error {
  override readonly name = 'ResponseTooLargeError';
  constructor(
    readonly host: string,
    readonly limitBytes: number,
  ) {
    super(`the answer of ${host} exceeds ${limitBytes} bytes`);
  }
}
