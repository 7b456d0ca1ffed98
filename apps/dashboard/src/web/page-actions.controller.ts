import { Controller, Param, Post, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { formField, type HttpRequest, type HttpResponse } from '../auth/http-types';
import { SessionGuard } from '../auth/session.guard';
import { DashboardActions, parseSeq, parseSubjectFilter } from '../dashboard-actions.service';
import { maskText } from '../masking/mask';
import { DashboardExceptionFilter, describeError } from './dashboard-exception.filter';
import { redirectAfterPost } from './respond';

/** Back to the list the form was on: all scheduled jobs, or the retries among them. */
function scheduledPage(request: HttpRequest): string {
  return formField(request, 'back') === '/retries' ? '/retries' : '/scheduled';
}

/** The forms' actions: do it, remember the outcome for the next page, redirect there (POST/redirect/GET). */
@Controller()
@UseGuards(SessionGuard)
@UseFilters(DashboardExceptionFilter)
export class PageActionsController {
  constructor(private readonly actions: DashboardActions) {}

  @Post('dead/retry-all')
  retryAll(@Req() request: HttpRequest, @Res() response: HttpResponse): Promise<void> {
    return this.act(request, response, '/dead', async (user) => {
      const subject = parseSubjectFilter(formField(request, 'subject'));
      const result = await this.actions.retryAllDeadLetters(user, subject);
      const failed = result.failures.length > 0 ? `; ${result.failures.length} could not be retried` : '';
      return `Retried ${result.retried} dead letter(s)${failed}.`;
    });
  }

  @Post('dead/:seq/retry')
  retry(@Req() request: HttpRequest, @Res() response: HttpResponse, @Param('seq') seq: string) {
    return this.act(request, response, '/dead', async (user) => {
      const result = await this.actions.retryDeadLetter(user, parseSeq(seq));
      return `Dead letter ${result.seq} retried: ${result.subject} is queued again.`;
    });
  }

  @Post('dead/:seq/delete')
  deleteDead(@Req() request: HttpRequest, @Res() response: HttpResponse, @Param('seq') seq: string) {
    return this.act(request, response, '/dead', async (user) => {
      await this.actions.deleteDeadLetter(user, parseSeq(seq));
      return `Dead letter ${seq} deleted.`;
    });
  }

  @Post('scheduled/:id/run')
  runScheduled(@Req() request: HttpRequest, @Res() response: HttpResponse, @Param('id') id: string) {
    return this.act(request, response, scheduledPage(request), async (user) => {
      await this.actions.runScheduledNow(user, id);
      return 'The job is due now; the relay publishes it within moments.';
    });
  }

  @Post('scheduled/:id/delete')
  deleteScheduled(@Req() request: HttpRequest, @Res() response: HttpResponse, @Param('id') id: string) {
    return this.act(request, response, scheduledPage(request), async (user) => {
      await this.actions.deleteScheduled(user, id);
      return 'Scheduled job deleted.';
    });
  }

  @Post('cron/:name/run')
  runCron(@Req() request: HttpRequest, @Res() response: HttpResponse, @Param('name') name: string) {
    return this.act(request, response, '/cron', async (user) => {
      const result = await this.actions.runCronNow(user, name);
      return `${result.name} published (${result.id}).`;
    });
  }

  @Post('cron/:name/pause')
  pauseCron(@Req() request: HttpRequest, @Res() response: HttpResponse, @Param('name') name: string) {
    return this.act(request, response, '/cron', async (user) => {
      await this.actions.setCronPaused(user, name, true);
      return `${name} paused.`;
    });
  }

  @Post('cron/:name/resume')
  resumeCron(@Req() request: HttpRequest, @Res() response: HttpResponse, @Param('name') name: string) {
    return this.act(request, response, '/cron', async (user) => {
      await this.actions.setCronPaused(user, name, false);
      return `${name} resumed.`;
    });
  }

  @Post('rate-limits/:id/resume')
  resumeKey(@Req() request: HttpRequest, @Res() response: HttpResponse, @Param('id') id: string) {
    return this.act(request, response, '/rate-limits', async (user) => {
      const resumed = await this.actions.resumePausedKey(user, id);
      return `${resumed.subject} key ${resumed.key} resumed: every worker may start its jobs again.`;
    });
  }

  /** Expected failures (gone already, bad input) become the page's message; others reach the filter. */
  private async act(
    request: HttpRequest,
    response: HttpResponse,
    back: string,
    action: (user: string) => Promise<string>,
  ): Promise<void> {
    const session = request.session!;
    try {
      session.flash = { kind: 'ok', text: await action(session.user) };
    } catch (error) {
      const { status, message } = describeError(error);
      if (status >= 500) throw error;
      session.flash = { kind: 'error', text: maskText(message) };
    }
    redirectAfterPost(response, back);
  }
}
