import { headerValue, type MailHeaders } from './inbound-addresses';

/** Why a mail is dropped before anything about its recipients is looked at. */
export type DropReason = 'bounce' | 'auto_reply' | 'unauthenticated' | 'blocked_domain';

export interface ScreenedMail {
  headers: MailHeaders;
  spfValid: boolean;
  dkimValid: boolean;
}

/**
 * Mail nobody typed for the thread: delivery reports, auto-replies (RFC 3834 `Auto-Submitted`, `Precedence`,
 * vendor headers) and mail that neither SPF nor DKIM vouches for (a forged From could otherwise post as
 * anyone). Bounces first, since many bounces also carry `Auto-Submitted`.
 */
export function screenMail(mail: ScreenedMail): DropReason | undefined {
  if (isBounce(mail.headers)) return 'bounce';
  if (isAutoReply(mail.headers)) return 'auto_reply';
  if (!mail.spfValid && !mail.dkimValid) return 'unauthenticated';
  return undefined;
}

function isBounce(headers: MailHeaders): boolean {
  const contentType = headerValue(headers, 'content-type')?.toLowerCase() ?? '';
  if (/multipart\/report/.test(contentType) && /report-type\s*=\s*"?delivery-status/.test(contentType)) {
    return true;
  }
  if (headerValue(headers, 'x-failed-recipients')) return true;
  // The null reverse-path is what RFC 5321 §4.5.5 requires of delivery reports.
  if (headerValue(headers, 'return-path')?.trim() === '<>') return true;
  const from = headerValue(headers, 'from')?.toLowerCase() ?? '';
  return /\b(mailer-daemon|postmaster)@/.test(from);
}

function isAutoReply(headers: MailHeaders): boolean {
  const autoSubmitted = headerValue(headers, 'auto-submitted')?.split(';')[0].trim().toLowerCase();
  if (autoSubmitted && autoSubmitted !== 'no') return true;
  const precedence = headerValue(headers, 'precedence')?.trim().toLowerCase();
  if (precedence && ['bulk', 'list', 'junk', 'auto_reply'].includes(precedence)) return true;
  if (headerValue(headers, 'x-autoreply') || headerValue(headers, 'x-autorespond')) return true;
  // Read receipts (RFC 8098) are machine-written as well.
  const contentType = headerValue(headers, 'content-type')?.toLowerCase() ?? '';
  return /report-type\s*=\s*"?disposition-notification/.test(contentType);
}

/** The domain and each parent of it (`a.b.example` → `a.b.example`, `b.example`, `example`): a block covers subdomains. */
export function domainAndParents(domain: string): string[] {
  const labels = domain.toLowerCase().split('.').filter(Boolean);
  return labels.map((_, index) => labels.slice(index).join('.'));
}
