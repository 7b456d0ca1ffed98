import { randomBytes } from 'node:crypto';

export interface Session {
  id: string;
  user: string;
  /** Sent back with every form and state-changing API call. */
  csrfToken: string;
  expiresAt: number;
  /** The outcome of the last form action, shown once on the page it redirects to. */
  flash?: { kind: 'ok' | 'error'; text: string };
}

/**
 * Sessions live in the dashboard process: logging out or a restart ends them for sure, and the cookie
 * carries nothing but a random id. (Several dashboard replicas need sticky sessions.)
 */
export class SessionStore {
  private readonly sessions = new Map<string, Session>();

  constructor(
    private readonly ttlMs: number,
    private readonly clock: () => number = Date.now,
  ) {}

  create(user: string): Session {
    this.prune();
    const session: Session = {
      id: randomToken(),
      user,
      csrfToken: randomToken(),
      expiresAt: this.clock() + this.ttlMs,
    };
    this.sessions.set(session.id, session);
    return session;
  }

  find(id: string | undefined): Session | null {
    if (!id) return null;
    const session = this.sessions.get(id);
    if (!session) return null;
    if (session.expiresAt <= this.clock()) {
      this.sessions.delete(id);
      return null;
    }
    return session;
  }

  end(id: string | undefined): void {
    if (id) this.sessions.delete(id);
  }

  private prune(): void {
    const now = this.clock();
    for (const [id, session] of this.sessions) if (session.expiresAt <= now) this.sessions.delete(id);
  }
}

export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}
