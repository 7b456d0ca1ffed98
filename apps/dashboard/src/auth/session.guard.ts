import {
  ForbiddenException,
  Injectable,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { sameToken } from './credentials';
import { DashboardAuth } from './dashboard-auth';
import { formField, header, type HttpRequest } from './http-types';

const SafeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

/** A page asked for without a session: the filter sends the browser to the login form. */
export class LoginRequiredError extends Error {
  constructor(readonly returnTo: string) {
    super('login required');
  }
}

/**
 * Every dashboard route but the login form: a session is required (401 for the API, a redirect to the
 * login form for pages), and every state-changing request carries the session's CSRF token, in the
 * `X-CSRF-Token` header or the `_csrf` form field (403 otherwise).
 */
@Injectable()
export class SessionGuard implements CanActivate {
  constructor(private readonly auth: DashboardAuth) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<HttpRequest>();
    const session = this.auth.sessionOf(request);
    if (!session) {
      if (request.path.startsWith('/api/')) throw new UnauthorizedException('Log in first: POST /login');
      throw new LoginRequiredError(SafeMethods.has(request.method) ? request.originalUrl : '/');
    }
    if (!SafeMethods.has(request.method)) {
      const token = header(request, 'x-csrf-token') ?? formField(request, '_csrf');
      if (!sameToken(token, session.csrfToken)) {
        throw new ForbiddenException('Missing or wrong CSRF token: reload the page and try again');
      }
    }
    request.session = session;
    return true;
  }
}
