import { Controller, Get, Post, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { Renderer } from '../views/renderer';
import { DashboardExceptionFilter } from '../web/dashboard-exception.filter';
import { redirectAfterPost, sendHtml, sendJson } from '../web/respond';
import { sameToken } from './credentials';
import { DashboardAuth, LoginCookie } from './dashboard-auth';
import {
  clientAddress,
  formField,
  header,
  parseCookies,
  type HttpRequest,
  type HttpResponse,
} from './http-types';
import { randomToken } from './session-store';
import { SessionGuard } from './session.guard';

const LoginFormMs = 30 * 60_000;

/** Only local paths: `next` must never send a freshly logged-in operator to another site. */
function safeReturnPath(value: string | undefined): string {
  return value && /^\/(?![/\\])[^\s]*$/.test(value) && !value.startsWith('/login') ? value : '/';
}

@Controller()
@UseFilters(DashboardExceptionFilter)
export class LoginController {
  constructor(
    private readonly auth: DashboardAuth,
    private readonly renderer: Renderer,
  ) {}

  @Get('login')
  form(@Req() request: HttpRequest, @Res() response: HttpResponse): void {
    const next = typeof request.query.next === 'string' ? request.query.next : undefined;
    if (this.auth.sessionOf(request)) return redirectAfterPost(response, safeReturnPath(next));
    this.showForm(request, response, 200, safeReturnPath(next));
  }

  /** The form's token must match its cookie (double submit), so no other site can log a browser in. */
  @Post('login')
  login(@Req() request: HttpRequest, @Res() response: HttpResponse): void {
    const next = safeReturnPath(formField(request, 'next'));
    if (!sameToken(formField(request, '_csrf'), parseCookies(request).get(LoginCookie) ?? randomToken())) {
      return this.showForm(request, response, 403, next, 'The login form expired; please try again.');
    }
    const outcome = this.attempt(request, formField(request, 'user'), formField(request, 'password'));
    if (outcome !== 'ok') return this.showForm(request, response, outcome.status, next, outcome.message);
    const session = this.auth.startSession(request, response, this.auth.credentials.user);
    this.auth.setCookie(request, response, LoginCookie, '', 0);
    session.flash = { kind: 'ok', text: `Logged in as ${session.user}.` };
    redirectAfterPost(response, next);
  }

  /**
   * For scripts: JSON credentials in, the session cookie and its CSRF token out. A cross-site page cannot
   * send a JSON body without a CORS preflight, which this server never grants.
   */
  @Post('api/login')
  apiLogin(@Req() request: HttpRequest, @Res() response: HttpResponse): void {
    if (!(header(request, 'content-type') ?? '').startsWith('application/json')) {
      return sendJson(response, 415, {
        statusCode: 415,
        message: 'Send the credentials as application/json',
      });
    }
    const outcome = this.attempt(request, formField(request, 'user'), formField(request, 'password'));
    if (outcome !== 'ok')
      return sendJson(response, outcome.status, { statusCode: outcome.status, message: outcome.message });
    const session = this.auth.startSession(request, response, this.auth.credentials.user);
    sendJson(response, 200, { user: session.user, csrfToken: session.csrfToken });
  }

  @Post('logout')
  @UseGuards(SessionGuard)
  logout(@Req() request: HttpRequest, @Res() response: HttpResponse): void {
    this.auth.endSession(request, response);
    redirectAfterPost(response, '/login');
  }

  private attempt(
    request: HttpRequest,
    user: string | undefined,
    password: string | undefined,
  ): 'ok' | { status: number; message: string } {
    const client = clientAddress(request);
    const waitMs = this.auth.throttle.retryAfterMs(client);
    if (waitMs > 0) {
      return {
        status: 429,
        message: `Too many failed logins; try again in ${Math.ceil(waitMs / 60_000)} min.`,
      };
    }
    if (!this.auth.credentials.matches(user ?? '', password ?? '')) {
      this.auth.throttle.failed(client);
      return { status: 401, message: 'Wrong user name or password.' };
    }
    this.auth.throttle.succeeded(client);
    return 'ok';
  }

  private showForm(
    request: HttpRequest,
    response: HttpResponse,
    status: number,
    next: string,
    error?: string,
  ): void {
    const loginToken = randomToken();
    this.auth.setCookie(request, response, LoginCookie, loginToken, LoginFormMs);
    const html = this.renderer.render({ page: 'login', title: 'Log in', data: { loginToken, next, error } });
    sendHtml(response, status, html);
  }
}
