import { z } from 'zod';
import type { Contract, ContractMap } from '../contract';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };
export type JsonSchema = JsonObject;

/** How AsyncAPI is told that a payload is plain JSON Schema rather than its own Schema Object dialect. */
export const PayloadSchemaFormat = 'application/schema+json;version=draft-07';

/** A URN, not a URL: the schemas are not served anywhere, but draft-07 wants an absolute `$id`. */
export const DefaultSchemaIdBase = 'urn:loomio-workers:contracts:';

/**
 * The JSON Schema (draft-07) of the message body as it travels on the wire. Draft-07 because both AsyncAPI 3's
 * `schemaFormat` and most non-JS validators understand it; zod's default, draft-2020-12, is not accepted there.
 */
export function payloadJsonSchema(contract: Contract): JsonSchema {
  try {
    // `input` describes what `schema.parse` accepts, i.e. what a producer may send: fields with a default are
    // optional, unknown keys are allowed (z.object strips them), and a `.transform()` does not make this throw.
    return z.toJSONSchema(contract.schema, { target: 'draft-07', io: 'input' }) as JsonSchema;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`${contract.subject}: the payload schema has no JSON Schema form (${reason})`, {
      cause: error,
    });
  }
}

export interface JsonSchemaFile {
  /** `<subject>.json`, a bare file name. */
  fileName: string;
  schema: JsonSchema;
}

export interface JsonSchemaExportOptions {
  /** Prefix of each schema's `$id`; the subject is appended. */
  idBase?: string;
}

/** One standalone JSON Schema per subject, for producers outside this repository (e.g. the Rails app). */
export function buildJsonSchemas(
  contracts: ContractMap,
  options: JsonSchemaExportOptions = {},
): JsonSchemaFile[] {
  const idBase = options.idBase ?? DefaultSchemaIdBase;
  return Object.values(contracts).map((contract) => {
    // The contract's subject and description win over any root `.meta()` so every file is labelled the same way.
    const { $schema, title: _title, description: _description, ...keywords } = payloadJsonSchema(contract);
    return {
      fileName: `${contract.subject}.json`,
      schema: {
        $schema,
        $id: `${idBase}${contract.subject}`,
        $comment:
          'Generated from libs/contracts by `npm run contracts:export`; change the zod schema instead.',
        title: contract.subject,
        description: contract.description,
        ...keywords,
      },
    };
  });
}
