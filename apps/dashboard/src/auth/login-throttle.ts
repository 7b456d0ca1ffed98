/**
 * Failed logins per client address in a sliding window: past the limit, further attempts are refused
 * without checking the password until the oldest failure leaves the window.
 */
export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly maxFailures: number,
    private readonly windowMs = 15 * 60_000,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Milliseconds until this client may try again; 0 when it may now. */
  retryAfterMs(client: string): number {
    const recent = this.recent(client);
    if (recent.length < this.maxFailures) return 0;
    return recent[recent.length - this.maxFailures] + this.windowMs - this.clock();
  }

  failed(client: string): void {
    const recent = this.recent(client);
    recent.push(this.clock());
    this.failures.set(client, recent);
    if (this.failures.size > 10_000) this.forgetOldest();
  }

  succeeded(client: string): void {
    this.failures.delete(client);
  }

  private recent(client: string): number[] {
    const since = this.clock() - this.windowMs;
    return (this.failures.get(client) ?? []).filter((at) => at > since);
  }

  /** Bounded memory under a flood of addresses. */
  private forgetOldest(): void {
    const first = this.failures.keys().next();
    if (!first.done) this.failures.delete(first.value);
  }
}
