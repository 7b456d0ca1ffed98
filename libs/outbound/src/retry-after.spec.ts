import { retryAfterMs } from './retry-after';

describe('Retry-After', () => {
  const now = Date.parse('2026-11-24T10:00:00Z');

  it('reads seconds and HTTP dates, kept between a second and an hour', () => {
    expect(retryAfterMs('7', now)).toBe(7000);
    expect(retryAfterMs('Tue, 24 Nov 2026 10:00:30 GMT', now)).toBe(30_000);
    expect(retryAfterMs('0', now)).toBe(1000);
    expect(retryAfterMs('Tue, 24 Nov 2026 09:00:00 GMT', now)).toBe(1000);
    expect(retryAfterMs('86400', now)).toBe(3600_000);
  });

  it('takes the first of repeated headers', () => {
    expect(retryAfterMs(['3', '9'], now)).toBe(3000);
  });

  it('waits a minute when the header is missing or unreadable', () => {
    expect(retryAfterMs(undefined, now)).toBe(60_000);
    expect(retryAfterMs([], now)).toBe(60_000);
    expect(retryAfterMs('soon', now)).toBe(60_000);
    expect(retryAfterMs('-5', now)).toBe(60_000);
  });
});
