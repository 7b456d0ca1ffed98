import { DownloadLinks } from './download-link';

describe('export download links', () => {
  const links = new DownloadLinks('a-secret-of-at-least-32-characters!!');
  const now = new Date('2026-01-01T00:00:00Z');
  const expiresAt = new Date('2026-01-08T00:00:00Z');

  function parts(path: string): { id: number; expires?: string; signature?: string } {
    const url = new URL(path, 'http://x');
    return {
      id: Number(url.pathname.split('/')[2]),
      expires: url.searchParams.get('expires') ?? undefined,
      signature: url.searchParams.get('signature') ?? undefined,
    };
  }

  it('accepts its own link until it expires', () => {
    const link = parts(links.pathFor(42, expiresAt));
    expect(link.id).toBe(42);
    expect(links.check(42, link.expires, link.signature, now)).toBe('valid');
    expect(links.check(42, link.expires, link.signature, expiresAt)).toBe('expired');
  });

  it('refuses another export, another expiry, another secret and garbage', () => {
    const link = parts(links.pathFor(42, expiresAt));
    expect(links.check(43, link.expires, link.signature, now)).toBe('invalid');
    expect(links.check(42, String(Number(link.expires) + 1), link.signature, now)).toBe('invalid');
    const other = new DownloadLinks('another-secret-of-at-least-32-chars!');
    expect(other.check(42, link.expires, link.signature, now)).toBe('invalid');
    expect(links.check(42, link.expires, undefined, now)).toBe('invalid');
    expect(links.check(42, 'soon', link.signature, now)).toBe('invalid');
    expect(links.check(42, link.expires, 'zz', now)).toBe('invalid');
  });
});
