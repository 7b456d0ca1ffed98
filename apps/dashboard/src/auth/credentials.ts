import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The operator's user name and password. Both are compared as SHA-256 digests with timingSafeEqual, and
 * both comparisons always run, so neither the length nor the first wrong character of a guess, nor
 * whether the user name was right, shows in the response time.
 */
export class Credentials {
  private readonly userDigest: Buffer;
  private readonly passwordDigest: Buffer;

  constructor(
    readonly user: string,
    password: string,
  ) {
    this.userDigest = digest(user);
    this.passwordDigest = digest(password);
  }

  matches(user: string, password: string): boolean {
    const userOk = timingSafeEqual(digest(user), this.userDigest);
    const passwordOk = timingSafeEqual(digest(password), this.passwordDigest);
    return userOk && passwordOk;
  }
}

export function generatedPassword(): string {
  return randomBytes(18).toString('base64url');
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** Equality of two tokens in constant time (for the CSRF token). */
export function sameToken(a: string | undefined, b: string): boolean {
  if (a === undefined) return false;
  return timingSafeEqual(digest(a), digest(b));
}
