import { ChatbotContracts } from './chatbot-contracts';
import { contractMap, type EventContract } from './contract';
import * as events from './events';
import { ExporterContracts, ExporterSubscriptions } from './exporter-contracts';
import { JanitorContracts, JanitorSubscriptions } from './janitor-contracts';
import { NotifierContracts, NotifierSubscriptions } from './notifier-contracts';
import { PollerContracts, PollerSubscriptions } from './poller-contracts';

/** Which app consumes which domain event; each app's list lives in its `<app>-contracts.ts`. */
const Subscriptions: Record<string, readonly string[]> = {
  poller: PollerSubscriptions,
  notifier: NotifierSubscriptions,
  janitor: JanitorSubscriptions,
  exporter: ExporterSubscriptions,
};

const DomainEvents = [
  events.PollCreated,
  events.PollUpdated,
  events.PollDiscarded,
  events.PollClosed,
  events.PollClosingSoon,
  events.StanceCreated,
  events.StanceRevoked,
  events.StanceRestored,
  events.OutcomeCreated,
  events.DiscussionCreated,
  events.DiscussionUpdated,
  events.DiscussionDiscarded,
  events.CommentCreated,
  events.CommentUpdated,
  events.CommentDiscarded,
  events.UserMentioned,
  events.MembershipInvited,
  events.MembershipAccepted,
  events.UserDeactivated,
  events.UserReactivated,
  events.GroupExportRequested,
  events.AnnouncementDelivered,
] as const;

/** Every subject of the system with its schema and processing options (DESIGN §3). */
export const Contracts = contractMap(
  ...withSubscriptions([
    ...DomainEvents,
    ...PollerContracts,
    ...NotifierContracts,
    ...ChatbotContracts,
    ...JanitorContracts,
    ...ExporterContracts,
  ]),
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

/** Adds each app's subscriptions to the events' `consumers`, refusing a subscription to an unknown event. */
function withSubscriptions<const C extends readonly { subject: string; kind: string }[]>(contracts: C): C {
  const bySubject = new Map(contracts.map((c) => [c.subject, c]));
  const consumers = new Map<string, string[]>();
  for (const [app, subjects] of Object.entries(Subscriptions)) {
    for (const subject of subjects) {
      const contract = bySubject.get(subject);
      if (!contract || contract.kind !== 'event')
        throw new Error(`${app} subscribes to ${subject}, which is not an event`);
      consumers.set(subject, [...(consumers.get(subject) ?? []), app]);
    }
  }
  return contracts.map((c) => {
    const apps = consumers.get(c.subject);
    if (!apps) return c;
    const event = c as unknown as EventContract;
    return { ...event, consumers: [...new Set([...event.consumers, ...apps])] };
  }) as unknown as C;
}
