/* Files in NATS Object Store buckets (exports, imported CSVs, attachments): chunked writes, streaming reads, a trash area. */
export {};
