import { contractMap } from './contract';
import * as accountJobs from './account-jobs';
import * as events from './events';
import * as jobs from './jobs';

/** Every subject of the system with its schema and processing options (DESIGN §3). */
export const Contracts = contractMap(
  events.PollCreated,
  events.PollClosed,
  events.PollClosingSoon,
  events.StanceCreated,
  events.StanceRevoked,
  events.StanceRestored,
  events.UserDeactivated,
  events.UserReactivated,
  events.GroupExportRequested,
  accountJobs.DeactivateUser,
  accountJobs.ReactivateUser,
  jobs.PruneProcessedMessages,
  jobs.CloseExpiredPolls,
  jobs.AnnounceClosingSoon,
  jobs.DeliverEmail,
);

export type Subject = keyof typeof Contracts;

/** `events.poll.closed` -> `PollClosed`; `jobs.janitor.destroy-group` -> `DestroyGroup`. */
type SubjectKeyOf<S extends string> = S extends `jobs.${string}.${infer VerbNoun}`
  ? PascalCase<VerbNoun>
  : S extends `events.${infer Aggregate}.${infer Verb}`
    ? `${PascalCase<Aggregate>}${PascalCase<Verb>}`
    : never;
type PascalCase<S extends string> = S extends `${infer Head}-${infer Tail}`
  ? `${Capitalize<Head>}${PascalCase<Tail>}`
  : Capitalize<S>;

/** Literal subject constants for call sites, e.g. `Subjects.PollClosed === 'events.poll.closed'`. */
export const Subjects = Object.freeze(subjectConstants(Object.keys(Contracts))) as {
  readonly [S in Subject as SubjectKeyOf<S>]: S;
};

function subjectConstants(subjects: string[]): Record<string, string> {
  const constants: Record<string, string> = {};
  for (const subject of subjects) {
    const name = subjectConstantName(subject);
    if (constants[name]) throw new Error(`${subject} and ${constants[name]} would both be Subjects.${name}`);
    constants[name] = subject;
  }
  return constants;
}

function subjectConstantName(subject: string): string {
  const [kind, aggregateOrService, verb] = subject.split('.');
  return (kind === 'jobs' ? [verb] : [aggregateOrService, verb])
    .flatMap((part) => part.split('-'))
    .map((word) => word[0].toUpperCase() + word.slice(1))
    .join('');
}
