/* Cluster-wide rate limits and per-key concurrency in NATS KV (the `rateLimit` and `concurrencyPerKey` job options). */
export {};
