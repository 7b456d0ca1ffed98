import {
  ConfigError,
  loadServiceConfig,
  natsConnectionSettings,
  ServiceConfigSchema,
} from './service-config';

const base = { DATABASE_URL: 'postgres://app@db:5432/app', HTTP_PORT: '0' };

describe('NATS credentials in the service config', () => {
  it('connects without credentials when none are configured (a local server without authorization)', () => {
    const config = loadServiceConfig('poller', ServiceConfigSchema, base);
    expect(natsConnectionSettings(config)).toEqual({ servers: ['nats://127.0.0.1:4222'] });
  });

  it('takes NATS_USER and NATS_PASSWORD', () => {
    const env = {
      ...base,
      NATS_URL: 'nats://n1:4222,nats://n2:4222',
      NATS_USER: 'poller',
      NATS_PASSWORD: 'pw',
    };
    expect(natsConnectionSettings(loadServiceConfig('poller', ServiceConfigSchema, env))).toEqual({
      servers: ['nats://n1:4222', 'nats://n2:4222'],
      user: 'poller',
      pass: 'pw',
    });
  });

  it('takes credentials out of the URL, which nats.js would otherwise ignore', () => {
    const env = { ...base, NATS_URL: 'nats://poller:p%40ss@nats:4222' };
    expect(natsConnectionSettings(loadServiceConfig('poller', ServiceConfigSchema, env))).toEqual({
      servers: ['nats://nats:4222'],
      user: 'poller',
      pass: 'p@ss',
    });
  });

  it('refuses a password without a user', () => {
    const config = loadServiceConfig('poller', ServiceConfigSchema, { ...base, NATS_PASSWORD: 'pw' });
    expect(() => natsConnectionSettings(config)).toThrow(ConfigError);
  });

  it('never echoes a password or a URL in a configuration error', () => {
    const env = { ...base, NATS_URL: 'http://poller:hunter2@nats', NATS_PASSWORD: '' };
    expect(() => loadServiceConfig('poller', ServiceConfigSchema, env)).toThrow(
      /NATS_URL: must be nats:\/\//,
    );
    try {
      loadServiceConfig('poller', ServiceConfigSchema, env);
    } catch (error) {
      expect((error as Error).message).not.toContain('hunter2');
    }
  });
});
