import nodemailer, { type Transporter } from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool';

export interface OutgoingMail {
  to: string;
  subject: string;
  html: string;
  text: string;
  attachments?: { filename: string; content: string; contentType: string }[];
  messageId: string;
  headers: Record<string, string>;
}

export interface MailSender {
  /** Resolves with the Message-ID once the relay accepted the message; rejects with the relay's error. */
  send(mail: OutgoingMail): Promise<string>;
  close(): void;
}

/**
 * One pooled SMTP connection set for the process. Its timeouts stay well inside the job's 60 s timeout,
 * so a stuck relay fails the attempt (and it is retried) instead of outliving it.
 */
export function createSmtpSender(smtpUrl: string, from: string): MailSender {
  const url = new URL(smtpUrl);
  const options: SMTPPool.Options = {
    pool: true,
    maxConnections: 5,
    host: url.hostname,
    port: Number(url.port),
    secure: url.protocol === 'smtps:',
    auth: url.username
      ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) }
      : undefined,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  };
  const transporter: Transporter<SMTPPool.SentMessageInfo> = nodemailer.createTransport(options, { from });
  return {
    async send(mail) {
      const info = await transporter.sendMail(mail);
      return info.messageId;
    },
    close: () => transporter.close(),
  };
}

/** The relay's reply code of a refused message (e.g. 451, 550); undefined for network and other errors. */
export function smtpResponseCode(error: unknown): number | undefined {
  const code = (error as { responseCode?: unknown } | null)?.responseCode;
  return typeof code === 'number' ? code : undefined;
}
