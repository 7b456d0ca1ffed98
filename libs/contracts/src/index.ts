export * from './contract';
export * from './envelope';
export * from './ids';
export * from './events';
export * from './registry';
export * from './validation';
export * from './asyncapi';
