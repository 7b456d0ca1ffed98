import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';
import { waitFor } from './wait-for';

export interface CapturedMail {
  /** Envelope sender (MAIL FROM); empty for the null sender `<>`. */
  from: string;
  /** Envelope recipients (RCPT TO), which may differ from the To/Cc headers. */
  to: string[];
  /** The message as sent after DATA: headers and body, dot-stuffing removed. */
  raw: string;
  receivedAt: Date;
}

/** The SMTP command whose reply an injected failure replaces. */
export type SmtpFailureStage = 'RCPT' | 'DATA';

export interface SmtpCaptureHandle {
  /** smtp://127.0.0.1:<port> */
  readonly url: string;
  readonly port: number;
  /** Every accepted message, oldest first. The array is live: it grows as mail arrives. */
  readonly messages: readonly CapturedMail[];
  /** Resolves with all captured messages once there are at least `count` of them. */
  waitForMessages(count: number, timeoutMs?: number): Promise<CapturedMail[]>;
  /**
   * Makes the next `times` RCPT TO commands (or DATA with `stage: 'DATA'`) answer `code message`
   * instead of accepting, to exercise a sender's handling of 4xx (retry) and 5xx (give up) replies.
   * A message rejected this way is not captured.
   */
  failNext(code: number, message: string, times?: number, stage?: SmtpFailureStage): void;
  /** Forgets captured messages and failures not yet used. */
  clear(): void;
  stop(): Promise<void>;
}

interface PendingFailure {
  stage: SmtpFailureStage;
  code: number;
  message: string;
  remaining: number;
}

/** smtp-server reads the reply code from this property of the error passed to a callback. */
type SmtpReplyError = Error & { responseCode: number };

/** Starts an in-process SMTP server on a free 127.0.0.1 port that accepts and records all mail. */
export async function startSmtpCapture(): Promise<SmtpCaptureHandle> {
  const messages: CapturedMail[] = [];
  const pendingFailures: PendingFailure[] = [];

  const takeFailure = (stage: SmtpFailureStage): SmtpReplyError | undefined => {
    const index = pendingFailures.findIndex((failure) => failure.stage === stage);
    if (index === -1) return undefined;
    const failure = pendingFailures[index];
    failure.remaining -= 1;
    if (failure.remaining === 0) pendingFailures.splice(index, 1);
    return Object.assign(new Error(failure.message), { responseCode: failure.code });
  };

  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    disableReverseLookup: true,
    logger: false,
    // Tests stop the server right after their last assertion; do not wait 30 s for idle clients.
    closeTimeout: 250,
    onRcptTo(_address, _session, callback) {
      callback(takeFailure('RCPT'));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const failure = takeFailure('DATA');
        if (failure) {
          callback(failure);
          return;
        }
        messages.push(toCapturedMail(session, Buffer.concat(chunks).toString('utf8')));
        callback();
      });
    },
  });
  // Without a listener a client resetting its connection would be an unhandled 'error' and crash the worker.
  server.on('error', () => undefined);

  const port = await new Promise<number>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.server.off('error', reject);
      resolve((server.server.address() as AddressInfo).port);
    });
  });

  let stopped: Promise<void> | undefined;

  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    messages,
    waitForMessages: async (count, timeoutMs = 10_000) => {
      await waitFor(() => messages.length >= count, {
        timeoutMs,
        description: `${count} captured mail(s) on port ${port}`,
      }).catch((error: unknown) => {
        throw new Error(`Expected ${count} mail(s) within ${timeoutMs} ms but captured ${messages.length}`, {
          cause: error,
        });
      });
      return [...messages];
    },
    failNext: (code, message, times = 1, stage = 'RCPT') => {
      if (!Number.isInteger(code) || code < 400 || code > 599) {
        throw new Error(`failNext expects a 4xx or 5xx SMTP reply code, got ${code}`);
      }
      if (!Number.isInteger(times) || times < 1) throw new Error(`failNext times must be >= 1, got ${times}`);
      pendingFailures.push({ stage, code, message, remaining: times });
    },
    clear: () => {
      messages.length = 0;
      pendingFailures.length = 0;
    },
    stop: () => {
      stopped ??= new Promise<void>((resolve) => server.close(() => resolve()));
      return stopped;
    },
  };
}

function toCapturedMail(session: SMTPServerSession, raw: string): CapturedMail {
  const { mailFrom, rcptTo } = session.envelope;
  return {
    from: mailFrom ? mailFrom.address : '',
    to: rcptTo.map((recipient) => recipient.address),
    raw,
    receivedAt: new Date(),
  };
}
