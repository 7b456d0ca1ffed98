export * from './asyncapi-document';
export * from './json-schemas';
