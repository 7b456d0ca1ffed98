import { MailKinds } from '@lib/contracts';
import { MailRenderer } from './mail-renderer';

/** Every variable any template uses; strict mode fails a render that misses one. */
const data: Record<string, unknown> = {
  recipientName: 'Ada',
  unsubscribeUrl: 'http://app.test/email_preferences',
  actorName: 'Grace <G>',
  title: 'Budget',
  url: 'http://app.test/d/1',
  pollTitle: 'Lunch',
  pollUrl: 'http://app.test/p/1',
  closingAt: '1 December 2026',
  groupName: 'Gardeners',
  inviterName: 'Grace',
  invitationUrl: 'http://app.test/invitations/t',
  memberName: 'Alan',
  groupUrl: 'http://app.test/g/1',
  meetingAt: '2 December 2026',
  reviewOn: '3 December 2026',
  downloadUrl: 'http://app.test/exports/1?token=x',
  expiresAt: '8 December 2026',
  taskName: 'Book the room',
  dueOn: '30 November 2026',
  taskUrl: 'http://app.test/tasks',
  since: '23 November 2026',
  threads: [{ title: 'Budget <2027>', url: 'http://app.test/d/1', items: 3 }],
  dashboardUrl: 'http://app.test/dashboard',
};

describe('MailRenderer', () => {
  const renderer = new MailRenderer();

  it.each(MailKinds.flatMap((kind) => ['en', 'de'].map((locale) => [kind, locale] as const)))(
    'renders %s in %s: subject, HTML (escaped) and text',
    (kind, locale) => {
      const mail = renderer.render(kind, locale, data);
      expect(mail.locale).toBe(locale);
      expect(mail.subject).not.toBe('');
      expect(mail.subject).not.toMatch(/\n/);
      expect(mail.html).toContain('Ada');
      expect(mail.text).toContain('Ada');
      expect(mail.html).not.toContain('<G>');
      expect(mail.html).not.toContain('<2027>');
    },
  );

  it('lists the threads of a digest', () => {
    const mail = renderer.render('catch_up', 'en', data);
    expect(mail.text).toContain('- Budget <2027>: 3 new');
    expect(mail.html).toContain('<a href="http://app.test/d/1">Budget &lt;2027&gt;</a>: 3 new');
  });

  it('writes dates in the language of the template used, falling back to English as a whole', () => {
    expect(renderer.languageFor('catch_up', 'de-AT')).toBe('de');
    expect(renderer.languageFor('catch_up', 'nl')).toBe('en');
    expect(renderer.languageFor('catch_up', null)).toBe('en');
  });
});
