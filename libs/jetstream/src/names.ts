/** Stream layout of DESIGN §4: events are kept for every consumer, jobs are a work queue, dead letters stay long. */
export const Streams = {
  events: { name: 'EVENTS', subjects: ['events.>'] },
  jobs: { name: 'JOBS', subjects: ['jobs.>'] },
  deadLetters: { name: 'DLQ', subjects: ['dlq.>'] },
} as const;

export const KvBuckets = {
  workers: 'workers',
  uniqueJobs: 'unique-jobs',
  cron: 'cron',
  firstFailures: 'job-failures',
  jobCancellations: 'job-cancellations',
} as const;

export function streamForSubject(subject: string): string {
  if (subject.startsWith('events.')) return Streams.events.name;
  if (subject.startsWith('jobs.')) return Streams.jobs.name;
  if (subject.startsWith('dlq.')) return Streams.deadLetters.name;
  throw new Error(`Subject ${subject} belongs to no stream (expected events.*, jobs.* or dlq.*)`);
}

/** Durable names may not contain `.`, `*` or `>`; the app prefix keeps each service's position its own. */
export function durableName(app: string, subject: string): string {
  return `${app}__${subject.replace(/[.*>]/g, '_')}`;
}

export function deadLetterSubject(subject: string): string {
  return `dlq.${subject}`;
}

export function originalSubjectOf(deadLetterSubjectName: string): string {
  return deadLetterSubjectName.replace(/^dlq\./, '');
}
