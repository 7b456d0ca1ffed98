/**
 * Least-privilege NATS users, derived from libs/contracts: each app may publish only what it publishes,
 * pull and ack only its own durable consumers, and use only the KV/object-store buckets it needs.
 * `npm run nats:config` renders them into deploy/nats/auth.conf; test/security/nats-config.spec.ts fails
 * while the checked-in file differs from what this would write.
 */
import {
  AppNames,
  ChatbotContracts,
  Contracts,
  ExporterContracts,
  JanitorContracts,
  NotifierContracts,
  PollerContracts,
  subjectsHandledBy,
  type AppName,
  type Contract,
  type ContractMap,
} from '@lib/contracts';
import { deadLetterSubject, durableName, KvBuckets, Streams, streamForSubject } from '@lib/jetstream/names';
import { ObjectBuckets } from '@lib/jetstream/object-store';
import { RateLimitBuckets } from '@lib/jetstream/rate-limit';

export interface NatsUser {
  user: string;
  /** Environment variable of the nats-server process holding the password (plain text or a bcrypt hash). */
  passwordEnv: string;
  description: string;
  publish: string[];
  subscribe: string[];
}

/** What each app publishes itself (outbox rows are published by the scheduler's relay, not by their writer). */
const PublishedBy: Record<AppName, readonly Contract[]> = {
  scheduler: [],
  poller: PollerContracts,
  notifier: [...NotifierContracts, ...ChatbotContracts],
  janitor: JanitorContracts,
  exporter: ExporterContracts,
  dashboard: [],
};

/**
 * NATS wildcards match whole tokens, so a bucket cannot be allowed by a name prefix: each bucket is named.
 * KV buckets: every name of `KvBuckets` (names.ts) and `RateLimitBuckets` (rate-limit) is shared by all apps
 * (the runtime opens them), except `cron`. A bucket defined anywhere else must be added here.
 */
export const SharedKvBuckets: readonly string[] = [
  ...Object.values(KvBuckets).filter((bucket) => bucket !== KvBuckets.cron),
  ...Object.values(RateLimitBuckets),
];
/** Object stores (NATS streams `OBJ_<bucket>`): the exporter's files, and the janitor's attachment trash. */
export const ObjectStoreBuckets: Partial<Record<AppName, readonly string[]>> = {
  exporter: Object.values(ObjectBuckets),
  janitor: [ObjectBuckets.attachments],
};

const AllStreams = [Streams.events.name, Streams.jobs.name, Streams.deadLetters.name];
const Api = '$JS.API';

export const PasswordEnv = (user: string) => `NATS_${user.toUpperCase()}_PASSWORD`;

/** The users of deploy/nats/auth.conf: one per app, `admin` for operators and `publisher` for the web app. */
export function natsUsers(contracts: ContractMap = Contracts): NatsUser[] {
  const allSubjects = Object.keys(contracts);
  const apps = AppNames.map((app) => appUser(app, contracts, allSubjects));
  const admin: NatsUser = {
    user: 'admin',
    passwordEnv: PasswordEnv('admin'),
    description: 'operators and the CLI (npm run cli): everything, including stream and consumer management',
    publish: ['>'],
    subscribe: ['>'],
  };
  const publisher: NatsUser = {
    user: 'publisher',
    passwordEnv: PasswordEnv('publisher'),
    description:
      "the web app and other systems: publishes domain events only; acks arrive on its own inbox prefix (connect with inboxPrefix '_INBOX_publisher')",
    publish: ['events.>'],
    subscribe: ['_INBOX_publisher.>'],
  };
  return [...apps, admin, publisher];
}

function appUser(app: AppName, contracts: ContractMap, allSubjects: string[]): NatsUser {
  const handled = subjectsHandledBy(contracts, app);
  const durables = handled.map((c) => ({
    subject: c.subject,
    stream: streamForSubject(c.subject),
    durable: durableName(app, c.subject),
  }));
  const consumedStreams = unique(durables.map((d) => d.stream));
  const publish = [
    `${Api}.INFO`,
    // ensureStreams at boot: look up the three streams, create them on a fresh server, fix drifted settings.
    ...AllStreams.flatMap((s) => [
      `${Api}.STREAM.INFO.${s}`,
      `${Api}.STREAM.CREATE.${s}`,
      `${Api}.STREAM.UPDATE.${s}`,
    ]),
    ...durables.flatMap(({ stream, durable }) => [
      `${Api}.CONSUMER.INFO.${stream}.${durable}`,
      `${Api}.CONSUMER.CREATE.${stream}.${durable}`,
      `${Api}.CONSUMER.CREATE.${stream}.${durable}.>`,
      `${Api}.CONSUMER.DURABLE.CREATE.${stream}.${durable}`,
      `${Api}.CONSUMER.MSG.NEXT.${stream}.${durable}`,
      `$JS.ACK.${stream}.${durable}.>`,
    ]),
    // The max-deliveries watcher reads the exhausted message by sequence and removes it from the work queue.
    ...consumedStreams.map((s) => `${Api}.STREAM.MSG.GET.${s}`),
    ...(consumedStreams.includes(Streams.jobs.name) ? [`${Api}.STREAM.MSG.DELETE.${Streams.jobs.name}`] : []),
    ...handled.map((c) => deadLetterSubject(c.subject)),
    ...publishedSubjects(app, contracts, allSubjects),
    ...kvBuckets(app).flatMap(kvPermissions),
    ...(ObjectStoreBuckets[app] ?? []).flatMap(objectStorePermissions),
    ...(app === 'dashboard' ? dashboardOperations() : []),
  ];
  const subscribe = [
    // Replies to JetStream API requests and pull deliveries (SubjectConsumer inboxes are `_INBOX.<client>.…`).
    '_INBOX.>',
    ...durables.map(
      ({ stream, durable }) => `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${stream}.${durable}`,
    ),
  ];
  return {
    user: app,
    passwordEnv: PasswordEnv(app),
    description: describe(app, durables.length),
    publish: unique(publish),
    subscribe: unique(subscribe),
  };
}

function publishedSubjects(app: AppName, contracts: ContractMap, allSubjects: string[]): string[] {
  // The scheduler relays the outbox of every app (and parked retries) and publishes the cron table.
  // The dashboard retries dead letters to their original subjects.
  if (app === 'scheduler' || app === 'dashboard') return allSubjects;
  return PublishedBy[app].map((c) => c.subject).filter((subject) => subject in contracts);
}

function kvBuckets(app: AppName): string[] {
  const cron = app === 'scheduler' || app === 'dashboard' ? [KvBuckets.cron] : [];
  return unique([...SharedKvBuckets, ...cron]);
}

/** Open (create if missing), get, put/create/update/delete, watch and list keys of one KV bucket. */
export function kvPermissions(bucket: string): string[] {
  const stream = `KV_${bucket}`;
  return [...streamBucketPermissions(stream), `$KV.${bucket}.>`];
}

/** Open, put (chunks and metadata), get, list, delete of one object store bucket. */
export function objectStorePermissions(bucket: string): string[] {
  const stream = `OBJ_${bucket}`;
  return [
    ...streamBucketPermissions(stream),
    `${Api}.STREAM.PURGE.${stream}`,
    `$O.${bucket}.>`,
    // nats.js looks the bucket's stream up by name when opening it (this lists names only).
    `${Api}.STREAM.NAMES`,
  ];
}

function streamBucketPermissions(stream: string): string[] {
  return [
    `${Api}.STREAM.INFO.${stream}`,
    `${Api}.STREAM.CREATE.${stream}`,
    `${Api}.STREAM.UPDATE.${stream}`,
    `${Api}.STREAM.MSG.GET.${stream}`,
    `${Api}.DIRECT.GET.${stream}`,
    `${Api}.DIRECT.GET.${stream}.>`,
    // Watchers and key listings are ordered push consumers with flow control.
    `${Api}.CONSUMER.CREATE.${stream}`,
    `${Api}.CONSUMER.CREATE.${stream}.>`,
    `${Api}.CONSUMER.INFO.${stream}.>`,
    `${Api}.CONSUMER.DELETE.${stream}.>`,
    `$JS.FC.${stream}.>`,
  ];
}

/** The dashboard's operator pages: list and browse every stream, delete jobs and dead letters. */
function dashboardOperations(): string[] {
  return [
    `${Api}.STREAM.NAMES`,
    `${Api}.STREAM.LIST`,
    ...AllStreams.flatMap((s) => [
      `${Api}.STREAM.MSG.GET.${s}`,
      `${Api}.CONSUMER.LIST.${s}`,
      `${Api}.CONSUMER.NAMES.${s}`,
      `${Api}.CONSUMER.INFO.${s}.*`,
      // Browsing a stream uses a short-lived consumer of its own (random name), deleted afterwards.
      `${Api}.CONSUMER.CREATE.${s}`,
      `${Api}.CONSUMER.CREATE.${s}.>`,
      `${Api}.CONSUMER.MSG.NEXT.${s}.*`,
      `${Api}.CONSUMER.DELETE.${s}.*`,
    ]),
    `${Api}.STREAM.MSG.DELETE.${Streams.jobs.name}`,
    `${Api}.STREAM.MSG.DELETE.${Streams.deadLetters.name}`,
  ];
}

function describe(app: AppName, consumers: number): string {
  const extra: Partial<Record<AppName, string>> = {
    scheduler: '; relays every outbox row and runs the cron table, so it may publish every contract subject',
    dashboard: '; operator pages: browse streams, retry or delete dead letters, pause cron entries',
  };
  return `the ${app} app: ${consumers} durable consumer(s) of its own${extra[app] ?? ''}`;
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

/** deploy/nats/auth.conf as `npm run nats:config` writes it. */
export function renderAuthConf(users: NatsUser[] = natsUsers()): string {
  const list = (values: string[]) => values.map((v) => `            ${JSON.stringify(v)}`).join('\n');
  const blocks = users.map(
    (u) => `    # ${u.description}
    {
      user: ${u.user}
      password: $${u.passwordEnv}
      permissions: {
        publish: {
          allow: [
${list(u.publish)}
          ]
        }
        subscribe: {
          allow: [
${list(u.subscribe)}
          ]
        }
      }
    }`,
  );
  return `# Generated by \`npm run nats:config\` from libs/contracts (scripts/nats-permissions.ts); do not edit.
# Included by nats.conf. Each password comes from the nats-server environment (NATS_<USER>_PASSWORD) and
# may be a bcrypt hash ($2a$...): then the server never holds the plain text, only the app does.
authorization {
  # A client that sends no credentials is refused; there is no anonymous user.
  timeout: 2
  users = [
${blocks.join('\n')}
  ]
}
`;
}
