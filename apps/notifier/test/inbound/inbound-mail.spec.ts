import {
  decodeEncodedWords,
  formatReplyAddress,
  parseReplyLocalPart,
  recipientAddresses,
  routeOf,
  senderAddress,
} from '../../src/inbound/inbound-addresses';
import { inboundMailDomain } from '../../src/inbound/inbound-config';
import { domainAndParents, screenMail } from '../../src/inbound/mail-screening';
import { htmlToText, textToHtml, visibleText } from '../../src/inbound/reply-text';

const Domain = 'reply.loomio.test';
const Key = 'a1b2c3d4e5f6a7b8c9d0e1f2';

describe('reply addresses', () => {
  it('round-trips discussion, user and key through the local part', () => {
    const address = formatReplyAddress({ discussionId: 45, userId: 6, key: Key }, Domain);
    expect(address).toBe(`reply+d=45&u=6&k=${Key}@${Domain}`);
    expect(routeOf({ to: `"Loomio" <${address}>` }, Domain)).toEqual({
      kind: 'reply',
      reply: { discussionId: 45, userId: 6, key: Key },
    });
  });

  it('accepts the fields in any order and rejects damaged or ambiguous ones', () => {
    expect(parseReplyLocalPart(`reply+k=${Key}&u=6&d=45`)).toEqual({ discussionId: 45, userId: 6, key: Key });
    for (const broken of [
      `reply+d=45&u=6`,
      `reply+d=45&u=6&k=short`,
      `reply+d=0&u=6&k=${Key}`,
      `reply+d=45&u=x&k=${Key}`,
      `reply+d=45&d=46&u=6&k=${Key}`,
      `reply+d=45&u=6&k=${Key}=x`,
      `replyd=45&u=6&k=${Key}`,
    ]) {
      expect(parseReplyLocalPart(broken)).toBeUndefined();
    }
    expect(() => formatReplyAddress({ discussionId: 1, userId: 2, key: 'has space' }, Domain)).toThrow();
  });

  it('routes by our domain only, a reply address before a group address, Cc and envelope headers included', () => {
    const reply = `reply+d=1&u=2&k=${Key}@${Domain}`;
    expect(routeOf({ to: `team@${Domain}`, cc: reply }, Domain)).toMatchObject({ kind: 'reply' });
    expect(routeOf({ to: 'someone@elsewhere.test', cc: `Team <Team@REPLY.loomio.test>` }, Domain)).toEqual({
      kind: 'group',
      handle: 'team',
    });
    expect(routeOf({ to: 'a@elsewhere.test', 'x-original-to': `team@${Domain}` }, Domain)).toEqual({
      kind: 'group',
      handle: 'team',
    });
    expect(routeOf({ to: `reply+d=1&u=2@${Domain}` }, Domain)).toEqual({ kind: 'none' });
    expect(routeOf({ to: `team@other.test` }, Domain)).toEqual({ kind: 'none' });
    expect(routeOf({}, Domain)).toEqual({ kind: 'none' });
  });

  it('reads addresses out of display names, quoted commas and repeated headers', () => {
    expect(recipientAddresses({ to: ['"Doe, Jo" <Jo@Example.ORG>', 'b@x.test'], cc: 'b@x.test' })).toEqual([
      'Jo@example.org',
      'b@x.test',
    ]);
    expect(senderAddress({ from: 'Jo Doe <jo@example.org>' })).toBe('jo@example.org');
    expect(senderAddress({ from: 'not an address' })).toBeUndefined();
  });

  it('takes the domain from REPLY_HOSTNAME, else from MAIL_FROM', () => {
    expect(inboundMailDomain({ MAIL_FROM: 'Loomio <n@Loomio.test>' })).toBe('loomio.test');
    expect(inboundMailDomain({ MAIL_FROM: 'n@loomio.test', REPLY_HOSTNAME: 'Reply.Loomio.test' })).toBe(
      'reply.loomio.test',
    );
  });

  it('decodes encoded-word subjects', () => {
    expect(decodeEncodedWords('=?UTF-8?B?R3LDvMOfZQ==?= =?UTF-8?Q?_aus_K=C3=B6ln?=')).toBe('Grüße aus Köln');
    expect(decodeEncodedWords('=?ISO-8859-1?Q?Caf=E9?= today')).toBe('Café today');
    expect(decodeEncodedWords('=?x-unknown?B?AAAA?=')).toBe('=?x-unknown?B?AAAA?=');
  });
});

describe('screening', () => {
  const ok = { spfValid: true, dkimValid: false };
  it('passes ordinary mail authenticated by SPF or DKIM', () => {
    expect(
      screenMail({ ...ok, headers: { from: 'jo@example.org', 'auto-submitted': 'no' } }),
    ).toBeUndefined();
    expect(screenMail({ spfValid: false, dkimValid: true, headers: {} })).toBeUndefined();
  });

  it('drops mail neither SPF nor DKIM vouches for', () => {
    expect(screenMail({ spfValid: false, dkimValid: false, headers: {} })).toBe('unauthenticated');
  });

  it.each([
    [{ 'auto-submitted': 'auto-replied' }],
    [{ 'auto-submitted': 'Auto-Generated; owner-email="x@y"' }],
    [{ precedence: 'bulk' }],
    [{ precedence: 'List' }],
    [{ precedence: 'junk' }],
    [{ 'x-autoreply': 'yes' }],
    [{ 'content-type': 'multipart/report; report-type=disposition-notification; boundary=x' }],
  ])('drops auto-replies: %j', (headers) => {
    expect(screenMail({ ...ok, headers })).toBe('auto_reply');
  });

  it.each([
    [{ 'content-type': 'multipart/report; report-type="delivery-status"; boundary="b"' }],
    [{ 'x-failed-recipients': 'jo@example.org' }],
    [{ 'return-path': '<>' }],
    [{ from: 'Mail Delivery System <MAILER-DAEMON@mx.example.org>' }],
    [{ from: 'postmaster@example.org', 'auto-submitted': 'auto-replied' }],
  ])('drops bounces: %j', (headers) => {
    expect(screenMail({ ...ok, headers })).toBe('bounce');
  });

  it('blocks a domain with its subdomains', () => {
    expect(domainAndParents('Mail.Spam.test')).toEqual(['mail.spam.test', 'spam.test', 'test']);
  });
});

describe('the visible text of a reply', () => {
  const body = (bodyText: string | null, bodyHtml: string | null = null) =>
    visibleText({ bodyText, bodyHtml });

  it('cuts the quoted message and the signature', () => {
    expect(
      body(
        'Thursday works for me.\r\n\r\nOn Tue, 24 Nov 2026 at 09:00, Loomio <notifications@loomio.test>\r\nwrote:\r\n> Bob commented:\r\n> Shall we meet?\r\n',
      ),
    ).toBe('Thursday works for me.');
    expect(body('Yes.\n\n-- \nJo Bloggs\nCEO, Example Ltd\n')).toBe('Yes.');
    expect(body('Fine by me\n\nFrom: Loomio <n@x>\nSent: Tuesday\nTo: Jo\nSubject: hi\n\nBob said')).toBe(
      'Fine by me',
    );
    expect(body('Ja, gerne.\n\nAm Di., 24. Nov. 2026 um 09:00 Uhr schrieb Loomio <n@x>:\n> quoted')).toBe(
      'Ja, gerne.',
    );
  });

  it('keeps the text of several paragraphs', () => {
    expect(body('First point.\n\n\n\nSecond point,\nstill second.\n')).toBe(
      'First point.\n\nSecond point,\nstill second.',
    );
  });

  it('is empty for a reply that only quotes', () => {
    expect(body('> just the quote\n> again\n')).toBe('');
  });

  it('reads HTML-only mail without its quote', () => {
    const html =
      '<html><head><style>p{}</style></head><body><div>See you &amp; the team<br>on Friday&nbsp;&#x1F44B;</div>' +
      '<div class="gmail_quote"><div>On Tue, Loomio wrote:</div><blockquote>Bob: <b>meet?</b></blockquote></div></body></html>';
    expect(body(null, html)).toBe('See you & the team\non Friday 👋');
    expect(
      body('   ', '<p>Top</p><blockquote><blockquote>old</blockquote>older</blockquote><p>Bottom</p>'),
    ).toBe('Top\n\nBottom');
    expect(htmlToText('<ul><li>one</li><li>two</li></ul>').trim()).toBe('- one\n\n- two');
  });

  it('stores text as escaped HTML paragraphs', () => {
    expect(textToHtml('a <b> & "c"\nnext\n\nnew')).toBe(
      '<p>a &lt;b&gt; &amp; &quot;c&quot;<br>next</p><p>new</p>',
    );
  });
});
