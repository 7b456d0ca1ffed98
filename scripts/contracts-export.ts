/**
 * Writes the message contracts as docs/asyncapi.yaml and docs/schemas/<subject>.json.
 * Run with `npm run contracts:export` after changing anything in libs/contracts; the contracts spec fails
 * while the committed files differ from what this would write.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Document } from 'yaml';
import { Contracts, buildAsyncApiDocument, buildJsonSchemas } from '@lib/contracts';
import { ContractDocsLocation } from '@lib/contracts/asyncapi/docs-location';

const repoRoot = path.resolve(__dirname, '..');

function exportContracts(): void {
  const asyncApiPath = path.join(repoRoot, ContractDocsLocation.asyncApiYaml);
  const asyncApi = buildAsyncApiDocument(Contracts);
  // Aliases would be legal YAML but make the file harder to read and diff, so repeated objects are written out.
  const yamlDocument = new Document(asyncApi, { aliasDuplicateObjects: false });
  yamlDocument.commentBefore = ` Generated from libs/contracts by \`${ContractDocsLocation.exportCommand}\`; do not edit.`;
  mkdirSync(path.dirname(asyncApiPath), { recursive: true });
  // lineWidth 0: folded long regex patterns would be correct YAML but unreadable.
  writeFileSync(asyncApiPath, yamlDocument.toString({ lineWidth: 0 }));
  report('wrote', asyncApiPath, `${Object.keys(asyncApi.channels).length} channels`);

  const schemaDir = path.join(repoRoot, ContractDocsLocation.jsonSchemaDir);
  mkdirSync(schemaDir, { recursive: true });
  const written = new Set<string>();
  for (const { fileName, schema } of buildJsonSchemas(Contracts)) {
    // The name comes from a subject; refuse anything that would land outside the schema directory.
    if (path.basename(fileName) !== fileName) throw new Error(`Refusing to write schema file "${fileName}"`);
    writeFileSync(path.join(schemaDir, fileName), `${JSON.stringify(schema, null, 2)}\n`);
    written.add(fileName);
    report('wrote', path.join(schemaDir, fileName));
  }
  for (const fileName of readdirSync(schemaDir)) {
    if (fileName.endsWith('.json') && !written.has(fileName)) {
      rmSync(path.join(schemaDir, fileName));
      report('removed stale', path.join(schemaDir, fileName));
    }
  }
}

function report(action: string, filePath: string, detail?: string): void {
  console.log(`${action} ${path.relative(repoRoot, filePath)}${detail ? ` (${detail})` : ''}`);
}

exportContracts();
