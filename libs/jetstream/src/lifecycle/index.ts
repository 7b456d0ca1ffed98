/* Job lifecycle: status lookup, and batches with completion callbacks. */
export * from './job-batches';
export * from './job-cancellation';
export * from './job-status-recorder';
export * from './job-statuses';
export * from './prerequisites';
export * from './scheduled-jobs';
