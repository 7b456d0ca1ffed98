import { createHmac, timingSafeEqual } from 'node:crypto';

/** A download link of an export: its path signed with HMAC-SHA256 over the export id and the expiry. */
export class DownloadLinks {
  constructor(private readonly secret: string) {}

  /** `/exports/<id>/download?expires=<unix seconds>&signature=<hex>` */
  pathFor(exportId: number, expiresAt: Date): string {
    const expires = Math.floor(expiresAt.getTime() / 1000);
    return `/exports/${exportId}/download?expires=${expires}&signature=${this.sign(exportId, expires)}`;
  }

  /** `valid` only when the signature matches and the expiry has not passed. */
  check(
    exportId: number,
    expires: string | undefined,
    signature: string | undefined,
    now = new Date(),
  ): LinkCheck {
    if (!expires || !signature || !/^\d{1,12}$/.test(expires) || !/^[0-9a-f]{64}$/.test(signature))
      return 'invalid';
    const expected = Buffer.from(this.sign(exportId, Number(expires)), 'hex');
    if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) return 'invalid';
    return Number(expires) * 1000 <= now.getTime() ? 'expired' : 'valid';
  }

  private sign(exportId: number, expires: number): string {
    return createHmac('sha256', this.secret).update(`export:${exportId}:${expires}`).digest('hex');
  }
}

export type LinkCheck = 'valid' | 'invalid' | 'expired';
