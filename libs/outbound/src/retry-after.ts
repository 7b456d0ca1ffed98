const DefaultRetryAfterMs = 60_000;
const MaxRetryAfterMs = 3600_000;

/**
 * How long an HTTP 429/503 asks us to wait: Retry-After is either seconds or an HTTP date; kept between a
 * second and an hour, a minute when missing or unreadable.
 */
export function retryAfterMs(header: string | string[] | undefined, now = Date.now()): number {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return DefaultRetryAfterMs;
  const trimmed = value.trim();
  // An HTTP date always names its weekday or month; anything else that Date.parse accepts is not one.
  const ms = /^\d+$/.test(trimmed)
    ? Number(trimmed) * 1000
    : /^[A-Za-z]{3},? /.test(trimmed)
      ? Date.parse(trimmed) - now
      : Number.NaN;
  if (!Number.isFinite(ms)) return DefaultRetryAfterMs;
  return Math.min(Math.max(ms, 1000), MaxRetryAfterMs);
}
