/* Files in NATS Object Store buckets (exports, imported CSVs, attachments): bounded chunked writes, streaming reads, clean-up of abandoned uploads. */
export * from './object-files';
