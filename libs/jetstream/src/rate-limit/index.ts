/* Cluster-wide rate limits and per-key concurrency in NATS KV (the `rateLimit` and `concurrencyPerKey` job options). */
export * from './deferrals';
export * from './key-budget-store';
export * from './key-budgets';
export * from './key-pauses';
export * from './rate-limit-admin';
export * from './rate-limit-settings';
export * from './rate-limiter';
