export { openAdminConnection, type AdminConnection, type AdminConnectionOptions } from './admin-connection';
export {
  AdminNotFoundError,
  DeadLetterNotFoundError,
  JobInFlightError,
  JobNotQueuedError,
  NatsUnreachableError,
  StreamNotFoundError,
} from './admin-errors';
export {
  DeadLetterAdmin,
  type DeadLetterDetail,
  type DeadLetterListOptions,
  type DeadLetterPage,
  type DeadLetterQuery,
  type DeadLetterSummary,
  type RetryAllResult,
  type RetryResult,
} from './dead-letter-admin';
export { JobAdmin, type CancelledJob, type CancelOptions } from './job-admin';
export type { DecodedBody } from './message-view';
export { StreamAdmin, type ConsumerSummary, type StreamSummary } from './stream-admin';
export { readStreamPage, type MessagePage, type PageRequest, type StoredMessage } from './stream-page';
