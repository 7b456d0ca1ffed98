import { connect, type Socket } from 'node:net';
import { startSmtpCapture, type SmtpCaptureHandle } from '@lib/testing';

interface SmtpReply {
  code: number;
  text: string;
}

interface MailToSend {
  from: string;
  to: string[];
  body: string;
}

interface DeliveryReplies {
  rcpt: SmtpReply[];
  /** Final reply to DATA, or the refusal of DATA itself; undefined when every recipient was refused. */
  data?: SmtpReply;
}

/** Just enough of an SMTP client to drive the capture server without pulling in a mail library. */
class RawSmtpSession {
  /** Reply text of EHLO: the extensions the server advertises, one per line. */
  capabilities = '';
  private unread = '';
  private replyLines: string[] = [];
  private readonly replies: SmtpReply[] = [];
  private readonly waiting: ((reply: SmtpReply) => void)[] = [];

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (data: string) => this.receive(data));
  }

  static async open(port: number): Promise<RawSmtpSession> {
    const socket = connect(port, '127.0.0.1');
    const session = new RawSmtpSession(socket);
    const greeting = await session.nextReply();
    if (greeting.code !== 220) throw new Error(`Unexpected greeting ${greeting.code} ${greeting.text}`);
    session.capabilities = (await session.command('EHLO tests.local')).text;
    return session;
  }

  command(line: string): Promise<SmtpReply> {
    this.socket.write(`${line}\r\n`);
    return this.nextReply();
  }

  async deliver(mail: MailToSend): Promise<DeliveryReplies> {
    await this.command(`MAIL FROM:<${mail.from}>`);
    const rcpt: SmtpReply[] = [];
    for (const recipient of mail.to) rcpt.push(await this.command(`RCPT TO:<${recipient}>`));
    if (rcpt.every((reply) => reply.code >= 400)) {
      await this.command('RSET');
      return { rcpt };
    }
    const goAhead = await this.command('DATA');
    if (goAhead.code !== 354) return { rcpt, data: goAhead };
    // Lines starting with a dot are doubled on the wire so they cannot end the message early.
    const dotStuffed = mail.body.replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..');
    return { rcpt, data: await this.command(`${dotStuffed}\r\n.`) };
  }

  async close(): Promise<void> {
    await this.command('QUIT');
    this.socket.destroy();
  }

  private nextReply(): Promise<SmtpReply> {
    const ready = this.replies.shift();
    return ready ? Promise.resolve(ready) : new Promise((resolve) => this.waiting.push(resolve));
  }

  private receive(data: string): void {
    this.unread += data;
    let lineEnd: number;
    while ((lineEnd = this.unread.indexOf('\r\n')) !== -1) {
      const line = this.unread.slice(0, lineEnd);
      this.unread = this.unread.slice(lineEnd + 2);
      this.replyLines.push(line.slice(4));
      // "250-..." continues a multi-line reply, "250 ..." ends it.
      if (line[3] === '-') continue;
      const reply = { code: Number(line.slice(0, 3)), text: this.replyLines.join('\n') };
      this.replyLines = [];
      const waiter = this.waiting.shift();
      if (waiter) waiter(reply);
      else this.replies.push(reply);
    }
  }
}

const welcomeMail: MailToSend = {
  from: 'notifier@loomio.test',
  to: ['alice@example.test', 'bob@example.test'],
  body: ['Subject: Welcome', '', 'Hello Alice,', '.a line starting with a dot', 'Bye'].join('\n'),
};

describe('startSmtpCapture', () => {
  let smtp: SmtpCaptureHandle;
  let session: RawSmtpSession | undefined;

  beforeEach(async () => {
    smtp = await startSmtpCapture();
  });

  afterEach(async () => {
    await session?.close();
    session = undefined;
    await smtp.stop();
  });

  it('captures envelope and raw message of delivered mail', async () => {
    expect(smtp.url).toBe(`smtp://127.0.0.1:${smtp.port}`);
    session = await RawSmtpSession.open(smtp.port);
    const before = new Date();

    const replies = await session.deliver(welcomeMail);

    expect(replies.rcpt.map((reply) => reply.code)).toEqual([250, 250]);
    expect(replies.data?.code).toBe(250);
    const [mail] = await smtp.waitForMessages(1);
    expect(mail.from).toBe('notifier@loomio.test');
    expect(mail.to).toEqual(['alice@example.test', 'bob@example.test']);
    expect(mail.raw).toBe('Subject: Welcome\r\n\r\nHello Alice,\r\n.a line starting with a dot\r\nBye\r\n');
    expect(mail.receivedAt.getTime()).toBeGreaterThanOrEqual(before.getTime());
    expect(smtp.messages).toHaveLength(1);
  });

  it('does not advertise STARTTLS, so clients stay on plain text', async () => {
    session = await RawSmtpSession.open(smtp.port);
    expect(session.capabilities).toMatch(/PIPELINING/);
    expect(session.capabilities).not.toMatch(/STARTTLS/);
  });

  it('failNext answers the next RCPT with the given code, then accepts again', async () => {
    session = await RawSmtpSession.open(smtp.port);
    smtp.failNext(451, 'Try again later');

    const refused = await session.deliver({ ...welcomeMail, to: ['alice@example.test'] });
    expect(refused.rcpt).toEqual([{ code: 451, text: 'Try again later' }]);
    expect(smtp.messages).toHaveLength(0);

    const retried = await session.deliver({ ...welcomeMail, to: ['alice@example.test'] });
    expect(retried.rcpt[0].code).toBe(250);
    expect(retried.data?.code).toBe(250);
    expect(await smtp.waitForMessages(1)).toHaveLength(1);
  });

  it('failNext honours times and can target DATA instead', async () => {
    session = await RawSmtpSession.open(smtp.port);
    smtp.failNext(550, 'No such user', 2);
    smtp.failNext(554, 'Message rejected as spam', 1, 'DATA');

    const replies = await session.deliver({ ...welcomeMail, to: ['a@x.test', 'b@x.test', 'c@x.test'] });

    expect(replies.rcpt.map((reply) => reply.code)).toEqual([550, 550, 250]);
    expect(replies.data).toEqual({ code: 554, text: 'Message rejected as spam' });
    expect(smtp.messages).toHaveLength(0);

    expect((await session.deliver(welcomeMail)).data?.code).toBe(250);
    await smtp.waitForMessages(1);
  });

  it('clear() forgets messages and pending failures', async () => {
    session = await RawSmtpSession.open(smtp.port);
    await session.deliver(welcomeMail);
    await smtp.waitForMessages(1);
    smtp.failNext(421, 'Shutting down');

    smtp.clear();

    expect(smtp.messages).toHaveLength(0);
    expect((await session.deliver(welcomeMail)).data?.code).toBe(250);
    expect(await smtp.waitForMessages(1)).toHaveLength(1);
  });

  it('waitForMessages rejects with the count it got when mail does not arrive in time', async () => {
    await expect(smtp.waitForMessages(1, 100)).rejects.toThrow(
      'Expected 1 mail(s) within 100 ms but captured 0',
    );
  });

  it('rejects reply codes that are not failures', () => {
    expect(() => smtp.failNext(250, 'OK')).toThrow(/4xx or 5xx/);
  });
});
