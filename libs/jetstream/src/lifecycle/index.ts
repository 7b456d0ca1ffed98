/* Job lifecycle: status lookup (batches with completion callbacks and prerequisites are not built yet). */
export * from './job-status-recorder';
export * from './job-statuses';
