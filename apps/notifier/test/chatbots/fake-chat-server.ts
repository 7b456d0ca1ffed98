import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedPost {
  path: string;
  headers: IncomingHttpHeaders;
  raw: string;
  json: unknown;
  /** Date.now() when the request had been read. */
  receivedAt: number;
}

export interface ScriptedAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** Never answers (for timeouts). */
  hang?: boolean;
  /** Answers after this long. */
  delayMs?: number;
}

/**
 * Plays Slack, Discord, Teams, Webex and friends: records every POST by path and answers from a per-path
 * script (the next scripted answer, else 200 "ok").
 */
export class FakeChatServer {
  readonly posts: ReceivedPost[] = [];
  /** The most requests that were being answered at the same time. */
  maxInFlight = 0;
  private inFlight = 0;
  private readonly scripts = new Map<string, ScriptedAnswer[]>();
  private server?: http.Server;
  private port = 0;

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const path = req.url ?? '';
        this.posts.push({ path, headers: req.headers, raw, json: safeJson(raw), receivedAt: Date.now() });
        const answer = this.scripts.get(path)?.shift() ?? { status: 200, body: 'ok' };
        if (answer.hang) return;
        this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
        setTimeout(() => {
          this.inFlight--;
          res.writeHead(answer.status, answer.headers).end(answer.body ?? '');
        }, answer.delayMs ?? 0);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  /** An address of this server; `host` may be `localhost` or `127.0.0.1`. */
  url(path: string, host = '127.0.0.1'): string {
    return `http://${host}:${this.port}${path}`;
  }

  script(path: string, ...answers: ScriptedAnswer[]): void {
    this.scripts.set(path, answers);
  }

  postsTo(path: string): ReceivedPost[] {
    return this.posts.filter((post) => post.path === path);
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server!.close(resolve));
  }
}

function safeJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}
