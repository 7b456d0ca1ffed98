import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { LOGGER, SERVICE_CONFIG } from '@lib/jetstream';
import type { DashboardConfig } from '../config';
import { Credentials, generatedPassword } from './credentials';
import { cameOverHttps, parseCookies, type HttpRequest, type HttpResponse } from './http-types';
import { LoginThrottle } from './login-throttle';
import { SessionStore, type Session } from './session-store';

export const SessionCookie = 'dashboard_session';
/** Holds the login form's CSRF token until the form comes back (double submit). */
export const LoginCookie = 'dashboard_login';

/** Who may log in, the sessions of those who did, and how their cookies are set. */
@Injectable()
export class DashboardAuth {
  readonly credentials: Credentials;
  readonly sessions: SessionStore;
  readonly throttle: LoginThrottle;
  private readonly sessionMs: number;

  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: DashboardConfig,
    @Inject(LOGGER) logger: Logger,
  ) {
    let password = config.DASHBOARD_PASSWORD;
    if (!password) {
      // Only outside production (the config refuses a missing password there): usable, never guessable.
      password = generatedPassword();
      process.stderr.write(
        `dashboard: DASHBOARD_PASSWORD is not set; log in as "${config.DASHBOARD_USER}" with the ` +
          `password ${password} (generated for this run only)\n`,
      );
      logger.warn('DASHBOARD_PASSWORD is not set: a one-off password was printed to stderr');
    }
    this.credentials = new Credentials(config.DASHBOARD_USER, password);
    this.sessionMs = config.DASHBOARD_SESSION_HOURS * 3600_000;
    this.sessions = new SessionStore(this.sessionMs);
    this.throttle = new LoginThrottle(config.DASHBOARD_LOGIN_ATTEMPTS);
  }

  sessionOf(request: HttpRequest): Session | null {
    return this.sessions.find(parseCookies(request).get(SessionCookie));
  }

  setCookie(
    request: HttpRequest,
    response: HttpResponse,
    name: string,
    value: string,
    maxAgeMs: number,
  ): void {
    const attributes = [
      `${name}=${encodeURIComponent(value)}`,
      'Path=/',
      'HttpOnly',
      'SameSite=Lax',
      `Max-Age=${Math.max(0, Math.floor(maxAgeMs / 1000))}`,
    ];
    if (this.secureCookies(request)) attributes.push('Secure');
    const existing = response.getHeader('Set-Cookie');
    const cookies = Array.isArray(existing) ? (existing as string[]) : existing ? [String(existing)] : [];
    response.setHeader('Set-Cookie', [...cookies, attributes.join('; ')]);
  }

  startSession(request: HttpRequest, response: HttpResponse, user: string): Session {
    // A fresh id at login: a session id planted before it (fixation) is worth nothing.
    this.sessions.end(parseCookies(request).get(SessionCookie));
    const session = this.sessions.create(user);
    this.setCookie(request, response, SessionCookie, session.id, this.sessionMs);
    return session;
  }

  endSession(request: HttpRequest, response: HttpResponse): void {
    this.sessions.end(parseCookies(request).get(SessionCookie));
    this.setCookie(request, response, SessionCookie, '', 0);
  }

  private secureCookies(request: HttpRequest): boolean {
    const mode = this.config.DASHBOARD_SECURE_COOKIES;
    return mode === 'always' || (mode === 'auto' && cameOverHttps(request));
  }
}
