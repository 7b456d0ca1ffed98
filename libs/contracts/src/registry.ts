import { contractMap } from './contract';
import * as events from './events';

/** Every subject of the system with its schema and processing options (DESIGN §3). */
export const Contracts = contractMap(
  events.PollCreated,
  events.PollClosed,
  events.PollClosingSoon,
  events.StanceCreated,
  events.StanceRevoked,
  events.GroupExportRequested,
);

export type Subject = keyof typeof Contracts;

type SubjectKeyOf<S extends string> = S extends `${string}.${infer Aggregate}.${infer Verb}`
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
  const [, aggregate, verb] = subject.split('.');
  return [aggregate, verb]
    .flatMap((part) => part.split('-'))
    .map((word) => word[0].toUpperCase() + word.slice(1))
    .join('');
}
