import { loadServiceConfig } from '@lib/jetstream';
import { DashboardConfigSchema } from '../config';
import { Credentials, sameToken } from './credentials';
import { LoginThrottle } from './login-throttle';
import { SessionStore } from './session-store';

describe('dashboard credentials and sessions', () => {
  it('accepts only the configured user and password', () => {
    const credentials = new Credentials('operator', 'long enough secret');
    expect(credentials.matches('operator', 'long enough secret')).toBe(true);
    expect(credentials.matches('operator', 'long enough secreT')).toBe(false);
    expect(credentials.matches('admin', 'long enough secret')).toBe(false);
    expect(credentials.matches('', '')).toBe(false);
    expect(sameToken(undefined, 'x')).toBe(false);
    expect(sameToken('abc', 'abc')).toBe(true);
  });

  it('refuses to start in production without a password, and names the setting', () => {
    const env = { NODE_ENV: 'production', DATABASE_URL: 'postgres://u@db:5432/app' };
    expect(() => loadServiceConfig('dashboard', DashboardConfigSchema, env)).toThrow(
      /DASHBOARD_PASSWORD: is required in production/,
    );
    const ok = loadServiceConfig('dashboard', DashboardConfigSchema, {
      ...env,
      DASHBOARD_PASSWORD: 'p4ssw0rd!',
    });
    expect(ok.DASHBOARD_USER).toBe('admin');
    expect(() =>
      loadServiceConfig('dashboard', DashboardConfigSchema, { ...env, DASHBOARD_PASSWORD: 'short' }),
    ).toThrow(/DASHBOARD_PASSWORD: must be at least 8 characters/);
  });

  it('expires sessions and ends them on logout', () => {
    let now = 0;
    const store = new SessionStore(1000, () => now);
    const session = store.create('operator');
    expect(session.csrfToken).not.toBe(session.id);
    expect(store.find(session.id)).toBe(session);
    now = 999;
    expect(store.find(session.id)).toBe(session);
    now = 1000;
    expect(store.find(session.id)).toBeNull();
    const second = store.create('operator');
    store.end(second.id);
    expect(store.find(second.id)).toBeNull();
    expect(store.find(undefined)).toBeNull();
  });

  it('refuses a client after too many failed logins until the window has passed', () => {
    let now = 0;
    const throttle = new LoginThrottle(3, 60_000, () => now);
    for (const at of [0, 10_000, 20_000]) {
      now = at;
      expect(throttle.retryAfterMs('10.0.0.1')).toBe(0);
      throttle.failed('10.0.0.1');
    }
    expect(throttle.retryAfterMs('10.0.0.1')).toBe(40_000);
    expect(throttle.retryAfterMs('10.0.0.2')).toBe(0);
    now = 60_001;
    expect(throttle.retryAfterMs('10.0.0.1')).toBe(0);
    throttle.failed('10.0.0.1');
    throttle.succeeded('10.0.0.1');
    expect(throttle.retryAfterMs('10.0.0.1')).toBe(0);
  });
});
