/*
 * Outbound HTTP to addresses users configure (chatbot webhooks, attachment downloads): the URL guard that
 * refuses private, loopback, link-local and metadata addresses after DNS resolution, and fetching with
 * timeouts and size limits.
 */
export * from './address-policy';
export * from './errors';
export * from './guarded-request';
export * from './outbound-config';
export * from './retry-after';
