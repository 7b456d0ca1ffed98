import { DataSource, type DataSourceOptions } from 'typeorm';

export interface DataSourceSettings {
  url: string;
  /** Listed explicitly (no globs), so that a bundled or compiled app finds every one. */
  entities?: NonNullable<DataSourceOptions['entities']>;
  migrations?: NonNullable<DataSourceOptions['migrations']>;
  poolSize?: number;
  applicationName?: string;
}

/** The one place a PostgreSQL connection pool is created. */
export function createDataSource(settings: DataSourceSettings): DataSource {
  const options: DataSourceOptions = {
    type: 'postgres',
    url: settings.url,
    entities: settings.entities ?? [],
    migrations: settings.migrations ?? [],
    migrationsRun: false,
    synchronize: false,
    logging: false,
    applicationName: settings.applicationName,
    extra: {
      // A connection the server cuts (restart, failover) can emit 'error' twice; TypeORM listens for the
      // first only, and an unheard 'error' event would crash the process. The pool still drops the client.
      onConnect: (client: { on(event: 'error', listener: () => void): unknown }) =>
        client.on('error', () => undefined),
      max: settings.poolSize ?? 10,
      connectionTimeoutMillis: 5_000,
      // A stuck statement must not hold a job slot forever; jobs are retried instead.
      statement_timeout: 60_000,
    },
  };
  return new DataSource(options);
}
