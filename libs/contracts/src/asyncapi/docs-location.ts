/** Where `npm run contracts:export` writes, relative to the repository root; the spec checks the same files. */
export const ContractDocsLocation = {
  asyncApiYaml: 'docs/asyncapi.yaml',
  jsonSchemaDir: 'docs/schemas',
  exportCommand: 'npm run contracts:export',
} as const;
