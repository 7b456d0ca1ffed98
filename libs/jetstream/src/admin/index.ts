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
export { JobAdmin, subjectMatches, type CancelledJob, type CancelOptions } from './job-admin';
export type { DecodedBody } from './message-view';
export { StreamAdmin, type ConsumerSummary, type StreamSummary } from './stream-admin';
export { readStreamPage, type MessagePage, type PageRequest, type StoredMessage } from './stream-page';
export { CronAdmin, CronEntryNotFoundError, type CronRunResult } from './cron-admin';
export {
  OutcomeNames,
  parseHeartbeat,
  WorkerAdmin,
  type RunningJob,
  type SubjectTotals,
  type WorkerHeartbeat,
} from './worker-admin';
export { OperatorAdmin } from './operator-admin';
