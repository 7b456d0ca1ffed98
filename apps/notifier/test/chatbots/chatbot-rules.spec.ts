import { throttlingKeys } from '../../src/chatbots/chatbot-fanout';
import { chatbotConfigFrom } from '../../src/chatbots/chatbot-config';
import { signatureOf } from '../../src/chatbots/post-to-chatbot';

describe('throttling keys', () => {
  it('hashes the URL (it carries credentials) and keeps the lower-case host', () => {
    const keys = throttlingKeys('https://Hooks.Slack.com/services/T000/B000/XXXXSECRET');
    expect(keys.host).toBe('hooks.slack.com');
    expect(keys.urlKey).toMatch(/^[0-9a-f]{32}$/);
    expect(JSON.stringify(keys)).not.toContain('SECRET');
    expect(throttlingKeys('https://hooks.slack.com/services/T000/B000/OTHER').urlKey).not.toBe(keys.urlKey);
  });

  it('leaves a malformed URL to the post, which refuses it', () => {
    expect(throttlingKeys('not a url')).toEqual({});
  });
});

describe('signature', () => {
  it('is the hex HMAC-SHA256 of the raw body', () => {
    // RFC 4231 test case 2.
    expect(signatureOf('what do ya want for nothing?', 'Jefe')).toBe(
      'sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
  });
});

describe('chatbot config', () => {
  it('defaults to 10 failures, a 10 s timeout and an empty allow-list', () => {
    expect(chatbotConfigFrom({ APP_URL: 'https://app.test/' })).toEqual({
      APP_URL: 'https://app.test',
      OUTBOUND_ALLOW_HOSTS: [],
      OUTBOUND_ALLOW_CIDRS: [],
      CHATBOT_DISABLE_AFTER_FAILURES: 10,
      CHATBOT_POST_TIMEOUT_MS: 10_000,
    });
  });

  it('parses the allow-lists and refuses a bad CIDR', () => {
    const config = chatbotConfigFrom({
      OUTBOUND_ALLOW_HOSTS: 'a.internal, *.corp',
      OUTBOUND_ALLOW_CIDRS: '10.0.0.0/8,::1',
    });
    expect(config.OUTBOUND_ALLOW_HOSTS).toEqual(['a.internal', '*.corp']);
    expect(config.OUTBOUND_ALLOW_CIDRS).toEqual(['10.0.0.0/8', '::1']);
    // Parsing a parsed config again changes nothing (the handler re-reads the notifier's validated config).
    expect(chatbotConfigFrom(config)).toEqual(config);
    expect(() => chatbotConfigFrom({ OUTBOUND_ALLOW_CIDRS: '10.0.0.0/40' })).toThrow('CIDR');
  });
});
