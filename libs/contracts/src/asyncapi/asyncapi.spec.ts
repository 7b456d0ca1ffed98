import { existsSync, readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { AsyncAPIDocumentInterface, DiagnosticSeverity, Parser } from '@asyncapi/parser';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { contractMap, defineEvent, defineJob } from '../contract';
import { Contracts } from '../registry';
import { AsyncApiDocument, buildAsyncApiDocument } from './asyncapi-document';
import { ContractDocsLocation } from './docs-location';
import { buildJsonSchemas } from './json-schemas';

const repoRoot = path.resolve(__dirname, '../../../..');
// The parser compiles its Spectral ruleset on first use, which takes a few seconds on a cold cache.
const parserTimeoutMs = 30_000;

describe(ContractDocsLocation.asyncApiYaml, () => {
  let committedText: string;
  let parsed: AsyncAPIDocumentInterface;

  beforeAll(async () => {
    committedText = readDocsFile(ContractDocsLocation.asyncApiYaml);
    const { document, errors } = await parseAsyncApi(committedText);
    expect(errors).toEqual([]);
    parsed = document!;
  }, parserTimeoutMs);

  it('is a valid AsyncAPI 3.0.0 document with a nats server', () => {
    expect(parsed.version()).toBe('3.0.0');
    expect(parsed.servers().get('nats')?.protocol()).toBe('nats');
  });

  it('has, per subject, a channel at that address with a message carrying the current payload schema', () => {
    const committed = parseYaml(committedText) as AsyncApiDocument;
    const generated = jsonClone(buildAsyncApiDocument(Contracts));
    const problems: string[] = [];
    for (const subject of Object.keys(Contracts)) {
      const channel = parsed
        .channels()
        .all()
        .find((candidate) => candidate.address() === subject);
      if (!channel) {
        problems.push(`${subject}: no channel with this address`);
        continue;
      }
      const expectedPayloads = Object.values(channelAt(generated, subject).messages).map((m) => m.payload);
      const committedPayloads = channel
        .messages()
        .all()
        .map((message) => committed.channels[channel.id()].messages[message.id()].payload);
      const missing = expectedPayloads.filter(
        (payload) => !committedPayloads.some((c) => isDeepStrictEqual(c, payload)),
      );
      if (missing.length > 0) problems.push(`${subject}: no message with the payload schema of the contract`);
    }
    expectUpToDate(ContractDocsLocation.asyncApiYaml, () => expect(problems).toEqual([]));
  });

  it('equals buildAsyncApiDocument(Contracts) as a whole (headers, operations, processing options)', () => {
    expectUpToDate(ContractDocsLocation.asyncApiYaml, () =>
      expect(parseYaml(committedText)).toEqual(jsonClone(buildAsyncApiDocument(Contracts))),
    );
  });
});

describe(ContractDocsLocation.jsonSchemaDir, () => {
  it('holds exactly one current JSON Schema file per subject', () => {
    const expectedFiles = buildJsonSchemas(Contracts);
    const schemaDir = path.join(repoRoot, ContractDocsLocation.jsonSchemaDir);
    const presentFileNames = existsSync(schemaDir)
      ? readdirSync(schemaDir).filter((fileName) => fileName.endsWith('.json'))
      : [];
    expectUpToDate(ContractDocsLocation.jsonSchemaDir, () =>
      expect([...presentFileNames].sort()).toEqual(expectedFiles.map((file) => file.fileName).sort()),
    );
    for (const { fileName, schema } of expectedFiles) {
      const relativePath = path.join(ContractDocsLocation.jsonSchemaDir, fileName);
      expectUpToDate(relativePath, () => expect(JSON.parse(readDocsFile(relativePath))).toEqual(schema));
    }
  });
});

describe('buildAsyncApiDocument', () => {
  interface Folder {
    name: string;
    children: Folder[];
  }
  const FolderSchema: z.ZodType<Folder> = z.object({
    name: z.string(),
    get children() {
      return z.array(FolderSchema);
    },
  });

  const SendDigest = defineJob({
    subject: 'jobs.notifier.send-digest',
    description: 'Send the daily digest e-mail to one user.',
    schema: z.object({ userId: z.number().int(), day: z.string() }),
    options: {
      priority: 'low',
      maxAttempts: 5,
      backoff: { type: 'exponential', initialDelayMs: 1_000, maxDelayMs: 60_000 },
      timeoutMs: 30_000,
      concurrency: 4,
      unique: { key: (payload) => `${payload.userId}:${payload.day}`, ttlMs: 3_600_000, onConflict: 'drop' },
    },
  });
  const PollClosed = defineEvent({
    subject: 'events.poll.closed',
    description: 'A poll closed.',
    schema: z.object({ pollId: z.number().int() }),
    consumers: ['notifier', 'exporter'],
  });
  const FolderMoved = defineEvent({
    subject: 'events.folder.moved',
    description: 'A folder tree moved; its payload schema is recursive.',
    schema: z.object({ root: FolderSchema }),
  });
  const sampleContracts = contractMap(SendDigest, PollClosed, FolderMoved);

  it('exports the processing options of a contract with a unique.key function without the function', () => {
    const document = buildAsyncApiDocument(sampleContracts);

    expect(document.operations['notifier.receive.jobs.notifier.send-digest']['x-processing']).toEqual({
      priority: 'low',
      maxAttempts: 5,
      backoff: { type: 'exponential', initialDelayMs: 1_000, maxDelayMs: 60_000 },
      timeoutMs: 30_000,
      concurrency: 4,
      unique: { ttlMs: 3_600_000, onConflict: 'drop' },
    });
    expect(pathsToFunctions(document)).toEqual([]);
    expect(jsonClone(document)).toStrictEqual(document);
  });

  it('has one receive operation per consumer of an event and one for the service of a job', () => {
    const { operations } = buildAsyncApiDocument(sampleContracts);

    expect(Object.keys(operations).sort()).toEqual([
      'exporter.receive.events.poll.closed',
      'notifier.receive.events.poll.closed',
      'notifier.receive.jobs.notifier.send-digest',
    ]);
    expect(Object.values(operations).every((operation) => operation.action === 'receive')).toBe(true);
  });

  it(
    'yields a document the parser accepts, with recursive payload refs resolved and the envelope headers',
    async () => {
      const { document, errors } = await parseAsyncApi(
        JSON.stringify(buildAsyncApiDocument(sampleContracts)),
      );
      expect(errors).toEqual([]);

      const folderMessage = document!
        .channels()
        .all()
        .find((c) => c.address() === 'events.folder.moved')!
        .messages()
        .all()[0];
      expect(folderMessage.schemaFormat()).toBe('application/schema+json;version=draft-07');
      expect(folderMessage.headers()?.json()).toMatchObject({
        required: ['ce-id', 'ce-type', 'ce-source', 'ce-specversion'],
        properties: { 'Nats-Msg-Id': { type: 'string' }, traceparent: { type: 'string' } },
      });
      expect(
        document!
          .operations()
          .all()
          .map((operation) => operation.channels().all()[0].address()),
      ).toEqual(expect.arrayContaining(['events.poll.closed', 'jobs.notifier.send-digest']));
    },
    parserTimeoutMs,
  );
});

describe('buildJsonSchemas', () => {
  it('writes one self-describing draft-07 schema per subject', () => {
    const [file] = buildJsonSchemas(contractMap(Contracts['events.poll.closed']));

    expect(file.fileName).toBe('events.poll.closed.json');
    expect(file.schema).toMatchObject({
      $schema: 'http://json-schema.org/draft-07/schema#',
      $id: 'urn:loomio-workers:contracts:events.poll.closed',
      title: 'events.poll.closed',
      description: Contracts['events.poll.closed'].description,
      required: ['pollId', 'reason', 'closedAt'],
    });
  });
});

/** Takes text (JSON is YAML) so the parser, which annotates what it is given, never touches a test's object. */
async function parseAsyncApi(input: string) {
  const { document, diagnostics } = await new Parser().parse(input);
  const errors = diagnostics
    .filter((diagnostic) => diagnostic.severity === DiagnosticSeverity.Error)
    .map((diagnostic) => `${diagnostic.code} at ${diagnostic.path.join('.')}: ${diagnostic.message}`);
  return { document, errors };
}

function readDocsFile(relativePath: string): string {
  const absolutePath = path.join(repoRoot, relativePath);
  if (!existsSync(absolutePath)) {
    throw new Error(`${relativePath} is missing: run ${ContractDocsLocation.exportCommand}`);
  }
  return readFileSync(absolutePath, 'utf8');
}

/** Puts the fix in front of jest's diff, so a stale docs file explains itself in CI. */
function expectUpToDate(what: string, assertion: () => void): void {
  try {
    assertion();
  } catch (error) {
    if (error instanceof Error) {
      error.message = `${what} is out of date with libs/contracts: run ${ContractDocsLocation.exportCommand}\n\n${error.message}`;
    }
    throw error;
  }
}

function channelAt(document: AsyncApiDocument, address: string) {
  const channel = Object.values(document.channels).find((candidate) => candidate.address === address);
  if (!channel) throw new Error(`The generated document has no channel for ${address}`);
  return channel;
}

function jsonClone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function pathsToFunctions(value: unknown, at = '$'): string[] {
  if (typeof value === 'function') return [at];
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, child]) => pathsToFunctions(child, `${at}.${key}`));
}
