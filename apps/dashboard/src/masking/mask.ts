/**
 * Payloads carry ids only by contract, but a dead letter may be exactly the message someone published
 * wrongly, so nothing personal or secret is ever shown: values under personal- or secret-looking keys are
 * replaced, and e-mail addresses are blanked wherever they appear.
 */
export const Masked = '[masked]';

/** Matched against each word of a key (`last_sign_in_ip` → last, sign, in, ip; `apiKey` → api, key). */
const SensitiveWords = new Set([
  'email',
  'mail',
  'name',
  'username',
  'firstname',
  'lastname',
  'token',
  'secret',
  'password',
  'passwd',
  'pwd',
  'ip',
  'body',
  'key',
  'apikey',
  'auth',
  'authorization',
  'cookie',
  'session',
  'credential',
  'credentials',
  'signature',
  'phone',
  'address',
  'bio',
  'location',
  'city',
  'country',
  'region',
  'title',
  'description',
  'text',
  'content',
  'statement',
  'reason',
  'comment',
  'message',
  'url',
  'webhook',
  'dsn',
]);

/** Whole keys that are sensitive only as a whole (their words alone are harmless). */
const SensitiveKeys = new Set(['shortbio', 'timezone', 'locale', 'avatar', 'privatekey', 'accesstoken']);

const EmailPattern = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;

export function isSensitiveKey(key: string): boolean {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  if (SensitiveKeys.has(words.join(''))) return true;
  return words.some((word) => SensitiveWords.has(word));
}

/** A deep copy with sensitive values replaced; numbers, booleans and ids stay as they are. */
export function maskValue(value: unknown, depth = 0): unknown {
  if (depth > 20) return Masked;
  if (typeof value === 'string') return maskText(value);
  if (Array.isArray(value)) return value.map((item) => maskValue(item, depth + 1));
  if (typeof value === 'object' && value !== null) {
    const masked: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) {
      masked[key] = isSensitiveKey(key) && inner !== null ? Masked : maskValue(inner, depth + 1);
    }
    return masked;
  }
  return value;
}

/** Free text we show (error messages, stacks): e-mail addresses are blanked. */
export function maskText(text: string): string {
  return text.replace(EmailPattern, Masked);
}

/** Headers the runtime itself writes (`Dlq-Reason`, `ce-id`, ...): their words are ours, not a user's. */
const RuntimeHeader = /^(dlq|ce|nats|job)-/i;

/** Message headers: a sensitive header's values go, and e-mail addresses in the rest. */
export function maskHeaders(headers: Record<string, string[] | string>): Record<string, string[]> {
  const masked: Record<string, string[]> = {};
  for (const [name, values] of Object.entries(headers)) {
    const list = Array.isArray(values) ? values : [values];
    const sensitive = !RuntimeHeader.test(name) && isSensitiveKey(name);
    masked[name] = sensitive ? list.map(() => Masked) : list.map(maskText);
  }
  return masked;
}
