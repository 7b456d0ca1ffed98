import type { BackoffPolicy, Contract, ContractMap, Priority, UniquenessOptions } from '../contract';
import {
  AttemptsSpentHeader,
  CloudEventHeaders,
  MsgIdHeader,
  SpecVersion,
  TraceParentHeader,
} from '../envelope';
import { JsonObject, JsonSchema, JsonValue, PayloadSchemaFormat, payloadJsonSchema } from './json-schemas';

export interface AsyncApiDocumentInfo {
  title?: string;
  /** The version of the message contracts, not of any package. */
  version?: string;
  description?: string;
  /** `host[:port]` of the `nats` server entry. */
  natsHost?: string;
}

export interface AsyncApiReference {
  $ref: string;
}

export interface AsyncApiTag {
  name: string;
}

export interface AsyncApiMessage {
  name: string;
  title: string;
  summary: string;
  headers: AsyncApiReference;
  payload: { schemaFormat: typeof PayloadSchemaFormat; schema: JsonSchema };
}

export interface AsyncApiChannel {
  address: string;
  description: string;
  messages: Record<string, AsyncApiMessage>;
}

/** The JSON-safe part of `ProcessingOptions`: `unique.key` is code and stays in the contract. */
export interface ExportedProcessingOptions {
  priority: Priority;
  maxAttempts: number;
  backoff: BackoffPolicy;
  timeoutMs?: number;
  concurrency?: number;
  unique?: Omit<UniquenessOptions<unknown>, 'key'>;
}

export interface AsyncApiOperation {
  action: 'receive';
  channel: AsyncApiReference;
  messages: AsyncApiReference[];
  summary: string;
  tags: AsyncApiTag[];
  'x-processing': ExportedProcessingOptions;
}

export interface AsyncApiDocument {
  asyncapi: '3.0.0';
  info: { title: string; version: string; description: string };
  defaultContentType: 'application/json';
  servers: { nats: { host: string; protocol: 'nats'; description: string } };
  channels: Record<string, AsyncApiChannel>;
  operations: Record<string, AsyncApiOperation>;
  components: { schemas: Record<string, JsonSchema> };
}

const HeadersSchemaName = 'CloudEventsBinaryModeHeaders';

const DefaultInfo: Required<AsyncApiDocumentInfo> = {
  title: 'loomio-workers messages',
  version: '1.0.0',
  description: [
    'Events and jobs exchanged over NATS JetStream. Each channel address is a subject; the message body is the',
    'JSON payload and the CloudEvents 1.0 attributes travel as `ce-*` headers (binary mode).',
    '',
    'Each `receive` operation is the durable consumer of one service. Its `x-processing` extension carries the',
    "subject's processing options: `priority` (Sidekiq-style weighted queue), `maxAttempts` (deliveries in all),",
    '`backoff`, `timeoutMs`, `concurrency` (`max_ack_pending`) and `unique` (a dedupe lock whose key is computed',
    'from the payload in code).',
    '',
    'Generated from libs/contracts by `npm run contracts:export`.',
  ].join('\n'),
  natsHost: 'localhost:4222',
};

/** An AsyncAPI 3.0.0 document of every subject: one channel per subject, one `receive` operation per handler. */
export function buildAsyncApiDocument(
  contracts: ContractMap,
  info: AsyncApiDocumentInfo = {},
): AsyncApiDocument {
  const { title, version, description, natsHost } = { ...DefaultInfo, ...info };
  const channels: Record<string, AsyncApiChannel> = {};
  const operations: Record<string, AsyncApiOperation> = {};

  for (const contract of Object.values(contracts)) {
    const channelId = contract.subject;
    const messageName = messageNameOf(contract.subject);
    const channelPointer = `#/channels/${escapePointerToken(channelId)}`;
    const messagePointer = `${channelPointer}/messages/${escapePointerToken(messageName)}`;

    channels[channelId] = {
      address: contract.subject,
      description: contract.description,
      messages: {
        [messageName]: {
          name: messageName,
          title: contract.subject,
          summary: contract.description,
          headers: { $ref: `#/components/schemas/${HeadersSchemaName}` },
          payload: {
            schemaFormat: PayloadSchemaFormat,
            schema: rebaseLocalRefs(payloadJsonSchema(contract), `${messagePointer}/payload/schema`),
          },
        },
      },
    };

    for (const service of handlingServices(contract)) {
      operations[`${service}.receive.${contract.subject}`] = {
        action: 'receive',
        channel: { $ref: channelPointer },
        messages: [{ $ref: messagePointer }],
        summary: `${service} ${contract.kind === 'job' ? 'runs' : 'consumes'} ${contract.subject}`,
        tags: [{ name: service }],
        'x-processing': exportedProcessingOptions(contract),
      };
    }
  }

  return {
    asyncapi: '3.0.0',
    info: { title, version, description },
    defaultContentType: 'application/json',
    servers: {
      nats: {
        host: natsHost,
        protocol: 'nats',
        description: 'NATS with JetStream; the streams hold the subjects.',
      },
    },
    channels,
    operations,
    components: { schemas: { [HeadersSchemaName]: cloudEventsHeadersSchema() } },
  };
}

function handlingServices(contract: Contract): readonly string[] {
  return contract.kind === 'job' ? [contract.service] : contract.consumers;
}

/** Fields are copied one by one so that nothing the JSON cannot carry (`unique.key`) slips into the document. */
function exportedProcessingOptions({ options }: Contract): ExportedProcessingOptions {
  return {
    priority: options.priority,
    maxAttempts: options.maxAttempts,
    backoff: { ...options.backoff },
    ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
    ...(options.concurrency !== undefined && { concurrency: options.concurrency }),
    ...(options.unique && { unique: { ttlMs: options.unique.ttlMs, onConflict: options.unique.onConflict } }),
  };
}

function cloudEventsHeadersSchema(): JsonSchema {
  return {
    type: 'object',
    description: 'CloudEvents 1.0 attributes in NATS binary mode, plus the NATS and tracing headers.',
    required: [
      CloudEventHeaders.id,
      CloudEventHeaders.type,
      CloudEventHeaders.source,
      CloudEventHeaders.specversion,
    ],
    properties: {
      [CloudEventHeaders.id]: {
        type: 'string',
        minLength: 1,
        description: `Unique per message; the same value as ${MsgIdHeader}.`,
      },
      [CloudEventHeaders.type]: { type: 'string', minLength: 1, description: 'The CloudEvents type.' },
      [CloudEventHeaders.source]: {
        type: 'string',
        format: 'uri-reference',
        description: 'The CloudEvents source: who produced the message.',
      },
      [CloudEventHeaders.time]: { type: 'string', format: 'date-time', description: 'When it happened.' },
      [CloudEventHeaders.specversion]: { type: 'string', const: SpecVersion },
      [CloudEventHeaders.dataContentType]: {
        type: 'string',
        description: 'The media type of the body, application/json.',
      },
      [MsgIdHeader]: {
        type: 'string',
        description: `Equals ${CloudEventHeaders.id}, so JetStream drops a re-publish inside the duplicate window.`,
      },
      [TraceParentHeader]: {
        type: 'string',
        pattern: '^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$',
        description: 'W3C Trace Context of the producing span.',
      },
      [AttemptsSpentHeader]: {
        type: 'string',
        pattern: '^[0-9]+$',
        description:
          'Attempts already spent before this message was (re)published, e.g. by a retry via the outbox.',
      },
    },
  };
}

/** `events.poll.closing-soon` -> `EventsPollClosingSoon`. */
function messageNameOf(subject: string): string {
  return subject
    .split(/[.-]/)
    .filter((word) => word.length > 0)
    .map((word) => word[0].toUpperCase() + word.slice(1))
    .join('');
}

function escapePointerToken(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Keywords whose value is data, where a `$ref` key is not a reference. */
const DataKeywords = new Set(['const', 'enum', 'default', 'examples']);
/** Keywords whose value maps arbitrary names (which may be `enum`, `$ref`...) to subschemas. */
const SubschemaMapKeywords = new Set([
  'properties',
  'patternProperties',
  'definitions',
  '$defs',
  'dependencies',
]);

/**
 * zod writes recursive and `.meta({ id })` schemas as `$ref: '#/definitions/...'`, relative to the payload schema.
 * Embedded in the AsyncAPI document, the parser resolves `#` against the document root, so the references are
 * re-pointed at where the payload schema now lives.
 */
function rebaseLocalRefs(schema: JsonSchema, basePointer: string): JsonSchema {
  return rebaseSchema(schema, basePointer) as JsonSchema;
}

function rebaseSchema(schema: JsonValue, basePointer: string): JsonValue {
  if (Array.isArray(schema)) return schema.map((subschema) => rebaseSchema(subschema, basePointer));
  if (!isJsonObject(schema)) return schema;
  const rebased: JsonObject = {};
  for (const [keyword, value] of Object.entries(schema)) {
    if (keyword === '$ref' && typeof value === 'string' && value.startsWith('#')) {
      rebased[keyword] = basePointer + value.slice(1);
    } else if (DataKeywords.has(keyword)) {
      rebased[keyword] = value;
    } else if (SubschemaMapKeywords.has(keyword) && isJsonObject(value)) {
      rebased[keyword] = Object.fromEntries(
        Object.entries(value).map(([name, subschema]) => [name, rebaseSchema(subschema, basePointer)]),
      );
    } else {
      rebased[keyword] = rebaseSchema(value, basePointer);
    }
  }
  return rebased;
}

function isJsonObject(value: JsonValue): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
