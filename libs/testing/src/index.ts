export { freePort, freePorts } from './free-port';
export { startNatsCluster, type NatsClusterHandle, type NatsClusterOptions } from './nats-cluster';
export {
  NATS_SERVER_BINARY,
  startNatsServer,
  type NatsServerHandle,
  type NatsServerOptions,
} from './nats-server';
export {
  startSmtpCapture,
  type CapturedMail,
  type SmtpCaptureHandle,
  type SmtpFailureStage,
} from './smtp-capture';
export {
  createTestDatabase,
  DEFAULT_TEST_DATABASE_URL,
  type TestDatabase,
  type TestDatabaseOptions,
} from './test-database';
export { sleep, waitFor, type Falsy, type WaitForOptions } from './wait-for';
export { createMigratedTestDatabase, openTestDataSource } from './migrated-database';
export { startTestServers, type TestServers } from './test-servers';
export { startServiceUnderTest, type ServiceUnderTest } from './service-under-test';
export { startPostgresCluster, POSTGRES_BIN_DIR, type PostgresClusterHandle } from './postgres-cluster';
export { runCli, spawnScript, type CliRun, type ScriptProcess, type ScriptServers } from './script-process';
