import addressparser from 'nodemailer/lib/addressparser';

/** Stored mail headers: names lower-cased; a header seen twice may have been kept as a list. */
export type MailHeaders = Record<string, string | string[] | undefined>;

/**
 * The Reply-To of a thread notification: `reply+d=<discussion id>&u=<user id>&k=<the user's email_api_key>@<domain>`.
 * The key proves the reply comes from someone who received the notification; it is checked against the user's
 * current key, so resetting the key revokes every reply address handed out before.
 */
export interface ReplyAddress {
  discussionId: number;
  userId: number;
  key: string;
}

/** A key must survive a mail address's local part unquoted; anything else is not a key we issued. */
const KeyPattern = /^[A-Za-z0-9_-]{8,128}$/;
const IdPattern = /^[1-9][0-9]{0,15}$/;

export function formatReplyAddress(reply: ReplyAddress, domain: string): string {
  if (!KeyPattern.test(reply.key)) throw new Error('email_api_key must be 8-128 letters, digits, - or _');
  return `reply+d=${reply.discussionId}&u=${reply.userId}&k=${reply.key}@${domain}`;
}

/** The discussion, user and key named by a reply address's local part, or undefined when it is not one. */
export function parseReplyLocalPart(localPart: string): ReplyAddress | undefined {
  const match = /^reply\+(.+)$/i.exec(localPart);
  if (!match) return undefined;
  const fields = new Map<string, string>();
  for (const pair of match[1].split('&')) {
    const [name, value, ...rest] = pair.split('=');
    if (value === undefined || rest.length > 0 || fields.has(name)) return undefined;
    fields.set(name, value);
  }
  const discussionId = fields.get('d');
  const userId = fields.get('u');
  const key = fields.get('k');
  if (!discussionId || !userId || !key) return undefined;
  if (!IdPattern.test(discussionId) || !IdPattern.test(userId) || !KeyPattern.test(key)) return undefined;
  return { discussionId: Number(discussionId), userId: Number(userId), key };
}

export type InboundRoute =
  { kind: 'reply'; reply: ReplyAddress } | { kind: 'group'; handle: string } | { kind: 'none' };

/**
 * Where a mail goes, from the recipients at our domain: a reply address wins over a group address (a reply
 * that also copies the group is a reply). The envelope headers count too, so a Bcc to a group still routes.
 */
export function routeOf(headers: MailHeaders, domain: string): InboundRoute {
  const ours = recipientAddresses(headers).filter((address) => domainOf(address) === domain.toLowerCase());
  for (const address of ours) {
    const reply = parseReplyLocalPart(localPartOf(address));
    if (reply) return { kind: 'reply', reply };
  }
  for (const address of ours) {
    const handle = localPartOf(address).toLowerCase();
    // A reply+… address we cannot read is a damaged reply address, not a group called "reply+…".
    if (!/^reply\+/.test(handle) && /^[a-z0-9][a-z0-9._-]*$/.test(handle)) return { kind: 'group', handle };
  }
  return { kind: 'none' };
}

/** Every address in To, Cc and the envelope-recipient headers, in that order, without duplicates. */
export function recipientAddresses(headers: MailHeaders): string[] {
  const names = ['to', 'cc', 'x-original-to', 'delivered-to', 'envelope-to'];
  const seen = new Set<string>();
  for (const name of names) {
    for (const address of addressesIn(headerValue(headers, name))) seen.add(address);
  }
  return [...seen];
}

/** The sender's address (From), lower-cased, or undefined when there is none. */
export function senderAddress(headers: MailHeaders): string | undefined {
  return addressesIn(headerValue(headers, 'from'))[0];
}

/** A header as one string; a repeated header's values joined; anything but text (bad input) as absent. */
export function headerValue(headers: MailHeaders, name: string): string | undefined {
  const value: unknown = headers[name];
  if (typeof value === 'string') return value;
  if (!Array.isArray(value)) return undefined;
  const texts = value.filter((item): item is string => typeof item === 'string');
  return texts.length > 0 ? texts.join(', ') : undefined;
}

export function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}

function localPartOf(address: string): string {
  return address.slice(0, address.lastIndexOf('@'));
}

/** Addresses in a header value (display names, groups and comments allowed), lower-cased except the local part's key. */
function addressesIn(value: string | undefined): string[] {
  if (!value) return [];
  return addressparser(value, { flatten: true })
    .map((entry) => entry.address.trim())
    .filter((address) => /^[^@\s]+@[^@\s]+$/.test(address))
    .map((address) => `${localPartOf(address)}@${domainOf(address)}`);
}

/** Decodes RFC 2047 encoded words (`=?UTF-8?B?…?=`, `=?ISO-8859-1?Q?…?=`) in a header such as Subject. */
export function decodeEncodedWords(value: string): string {
  return value.replace(
    /=\?([^?\s]+)\?([bq])\?([^?\s]*)\?=(?:\s+(?==\?[^?\s]+\?[bq]\?))?/gi,
    (word, charset: string, encoding: string, text: string) => {
      try {
        const bytes =
          encoding.toLowerCase() === 'b'
            ? Buffer.from(text, 'base64')
            : Buffer.from(
                text
                  .replace(/_/g, ' ')
                  .replace(/=([0-9a-f]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))),
                'latin1',
              );
        // RFC 2231 allows a language after the charset (`UTF-8*de`).
        return new TextDecoder(charset.split('*')[0], { fatal: true }).decode(bytes);
      } catch {
        return word;
      }
    },
  );
}
