import { Catch, HttpException, Inject, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Logger } from 'pino';
import { AdminNotFoundError, JobInFlightError, LOGGER, NatsUnreachableError } from '@lib/jetstream';
import { InvalidInputError } from '../dashboard-actions.service';
import { LoginRequiredError } from '../auth/session.guard';
import type { HttpRequest, HttpResponse } from '../auth/http-types';
import { maskText } from '../masking/mask';
import { Renderer } from '../views/renderer';
import { redirectAfterPost, sendHtml, sendJson } from './respond';

/** Status and message an operator can act on; unexpected errors are logged and shown without internals. */
export function describeError(error: unknown): { status: number; message: string } {
  if (error instanceof HttpException) return { status: error.getStatus(), message: error.message };
  if (error instanceof AdminNotFoundError) return { status: 404, message: error.message };
  if (error instanceof JobInFlightError) return { status: 409, message: error.message };
  if (error instanceof InvalidInputError) return { status: 400, message: error.message };
  if (error instanceof NatsUnreachableError) return { status: 503, message: error.message };
  return { status: 500, message: 'Something went wrong; the dashboard log has the details.' };
}

/** Pages get an HTML error page (or the login form), the API a JSON error. */
@Catch()
export class DashboardExceptionFilter implements ExceptionFilter {
  constructor(
    private readonly renderer: Renderer,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const request = host.switchToHttp().getRequest<HttpRequest>();
    const response = host.switchToHttp().getResponse<HttpResponse>();
    if (response.headersSent) return;
    if (error instanceof LoginRequiredError) {
      return redirectAfterPost(response, `/login?next=${encodeURIComponent(error.returnTo)}`);
    }
    const { status, message } = describeError(error);
    if (status >= 500) this.logger.error({ err: error, path: request.path }, 'dashboard request failed');
    const shown = maskText(message);
    if (request.path.startsWith('/api/'))
      return sendJson(response, status, { statusCode: status, message: shown });
    const html = this.renderer.render({
      page: 'error',
      title: status === 404 ? 'Not found' : status === 403 ? 'Forbidden' : 'Error',
      session: request.session,
      data: { message: shown },
    });
    sendHtml(response, status, html);
  }
}
