import type { LoggerOptions } from 'pino';

/*
 * Personal data and secrets must not reach a log line or a dead letter, even inside an error message a
 * library built (a driver echoing its connection string, a mail server quoting the recipient). Payloads carry
 * ids only; this is the net for free text: known keys are redacted by pino, and every written line and
 * every DLQ error header is scrubbed by pattern.
 */

const Masked = '[redacted]';

/** `scheme://user:password@host` and `scheme://token@host`: the whole user-info goes. */
const UrlCredentials = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@"'<>]+@/gi;
const EmailAddress = /[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}/gi;
/** `password=…`, `token: …`, `api_key=…` in free text (libpq strings, SMTP replies, query strings). */
const SecretAssignment =
  /\b(password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|client[_-]?secret)(\s*[=:]\s*)(?!\[redacted\])[^\s&;,"'<>]+/gi;
const BearerToken = /\b(bearer|basic)\s+[a-z0-9._~+/=-]{8,}/gi;

/** Masks credentials in URLs, e-mail addresses, `secret=value` pairs and bearer tokens in `text`. */
export function scrubSecrets(text: string): string {
  if (!text) return text;
  return text
    .replace(UrlCredentials, `$1${Masked}@`)
    .replace(EmailAddress, '[email]')
    .replace(SecretAssignment, `$1$2${Masked}`)
    .replace(BearerToken, `$1 ${Masked}`);
}

/** Keys whose values are never logged, whatever they hold (at the top level and one level down). */
const SecretKeys = [
  'password',
  'pass',
  'token',
  'secret',
  'authorization',
  'cookie',
  'apiKey',
  'email',
  'DATABASE_URL',
  'NATS_PASSWORD',
  'SMTP_URL',
];

export const LogRedaction: NonNullable<LoggerOptions['redact']> = {
  paths: [
    ...SecretKeys,
    ...SecretKeys.map((key) => `*.${key}`),
    'req.headers.authorization',
    'req.headers.cookie',
  ],
  censor: Masked,
};

/** pino options for every service: redacted keys, and each line scrubbed right before it is written. */
export const ScrubbingLoggerOptions: Pick<LoggerOptions, 'redact' | 'hooks'> = {
  redact: LogRedaction,
  hooks: { streamWrite: scrubSecrets },
};
