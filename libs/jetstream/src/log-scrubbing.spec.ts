import pino from 'pino';
import { scrubSecrets, ScrubbingLoggerOptions } from './log-scrubbing';

describe('scrubSecrets', () => {
  it.each([
    ['postgres://loomio:hunter2@db:5432/app', 'postgres://[redacted]@db:5432/app'],
    [
      'nats://scheduler:pw@nats:4222,nats://other:pw2@n2:4222',
      'nats://[redacted]@nats:4222,nats://[redacted]@n2:4222',
    ],
    ['https://token123@hooks.example.com/x', 'https://[redacted]@hooks.example.com/x'],
    ['mail to Bob.Jones+x@mail.example.co.uk failed', 'mail to [email] failed'],
    ['host=db password=hunter2 user=x', 'host=db password=[redacted] user=x'],
    ['?api_key=abc123&x=1', '?api_key=[redacted]&x=1'],
    ['Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig', 'Authorization: Bearer [redacted]'],
  ])('masks %s', (input, expected) => {
    expect(scrubSecrets(input)).toBe(expected);
  });

  it.each([
    'at Object.<anonymous> (/app/node_modules/@nestjs/core/index.js:10:5)',
    'nats.js@2.29.3 connected to nats://nats:4222 as scheduler@123',
    'job 7c0a done in 12 ms',
  ])('leaves %s alone', (text) => {
    expect(scrubSecrets(text)).toBe(text);
  });
});

describe('the service logger options', () => {
  function capture(): { logger: pino.Logger; lines: string[] } {
    const lines: string[] = [];
    const logger = pino({ ...ScrubbingLoggerOptions }, { write: (line: string) => void lines.push(line) });
    return { logger, lines };
  }

  it('redacts secret keys and scrubs every string of a written line, keeping it valid JSON', () => {
    const { logger, lines } = capture();
    logger.info(
      {
        password: 'hunter2',
        user: { email: 'a@b.example', id: 7 },
        config: { DATABASE_URL: 'postgres://u:p@h/d' },
      },
      'signed up carol@example.com',
    );
    logger.error({ err: new Error('connect postgres://u:secretpw@h/d failed') }, 'boom');
    const [first, second] = lines.map((line) => JSON.parse(line));
    expect(first).toMatchObject({
      password: '[redacted]',
      user: { email: '[redacted]', id: 7 },
      config: { DATABASE_URL: '[redacted]' },
      msg: 'signed up [email]',
    });
    expect(second.err.message).toBe('connect postgres://[redacted]@h/d failed');
    expect(lines.join('')).not.toMatch(/hunter2|secretpw|carol@|a@b\.example/);
  });
});
