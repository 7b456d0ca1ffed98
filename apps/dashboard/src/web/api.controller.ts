import {
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Post,
  Query,
  Req,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import { formField, type HttpRequest } from '../auth/http-types';
import { SessionGuard } from '../auth/session.guard';
import { DashboardActions, parseSeq, parseSubjectFilter } from '../dashboard-actions.service';
import { DashboardData } from '../dashboard-data.service';
import { JobLookup, parseJobId } from '../jobs/job-lookup';
import { PausedKeys } from '../rate-limits/paused-keys';
import { OperatorAdmin } from '@lib/jetstream';
import { DashboardExceptionFilter } from './dashboard-exception.filter';

/**
 * The same views and actions as JSON. Authenticated by the session cookie (`POST /api/login`); every
 * POST and DELETE carries the session's token in `X-CSRF-Token`.
 */
@Controller('api')
@UseGuards(SessionGuard)
@UseFilters(DashboardExceptionFilter)
export class ApiController {
  constructor(
    private readonly data: DashboardData,
    private readonly actions: DashboardActions,
    private readonly admin: OperatorAdmin,
    private readonly pausedKeys: PausedKeys,
    private readonly jobs: JobLookup,
  ) {}

  @Get('session')
  session(@Req() request: HttpRequest) {
    const { user, csrfToken, expiresAt } = request.session!;
    return { user, csrfToken, expiresAt: new Date(expiresAt).toISOString() };
  }

  @Get('overview')
  overview() {
    return this.data.overview();
  }

  @Get('streams')
  streams() {
    return this.data.streams();
  }

  @Get('workers')
  workers() {
    return this.data.workers();
  }

  @Get('scheduled')
  scheduled(@Query('limit') limit?: string, @Query('offset') offset?: string, @Query('kind') kind?: string) {
    const size = /^\d{1,4}$/.test(limit ?? '') ? Math.min(500, Math.max(1, Number(limit))) : 50;
    const only = kind === 'retry' || kind === 'scheduled' ? kind : 'all';
    return this.data.scheduled(size, /^\d{1,9}$/.test(offset ?? '') ? Number(offset) : 0, only);
  }

  @Post('scheduled/:id/run')
  @HttpCode(200)
  async runScheduled(@Req() request: HttpRequest, @Param('id') id: string) {
    await this.actions.runScheduledNow(request.session!.user, id);
    return { id, due: 'now' };
  }

  @Delete('scheduled/:id')
  async deleteScheduled(@Req() request: HttpRequest, @Param('id') id: string) {
    await this.actions.deleteScheduled(request.session!.user, id);
    return { id, deleted: true };
  }

  @Get('dead')
  async dead(@Query('subject') subjectParam?: string, @Query('from') from?: string) {
    const subject = parseSubjectFilter(subjectParam);
    const [page, count] = await Promise.all([
      this.data.deadLetters(subject, from ? parseSeq(from) : undefined),
      this.admin.deadLetters.count({ subject }),
    ]);
    return { count, ...page };
  }

  @Post('dead/retry-all')
  @HttpCode(200)
  retryAll(@Req() request: HttpRequest) {
    const subject = parseSubjectFilter(formField(request, 'subject'));
    return this.actions.retryAllDeadLetters(request.session!.user, subject);
  }

  @Get('dead/:seq')
  deadLetter(@Param('seq') seq: string) {
    return this.data.deadLetter(parseSeq(seq));
  }

  @Post('dead/:seq/retry')
  @HttpCode(200)
  retry(@Req() request: HttpRequest, @Param('seq') seq: string) {
    return this.actions.retryDeadLetter(request.session!.user, parseSeq(seq));
  }

  @Delete('dead/:seq')
  async deleteDead(@Req() request: HttpRequest, @Param('seq') seq: string) {
    const parsed = parseSeq(seq);
    await this.actions.deleteDeadLetter(request.session!.user, parsed);
    return { seq: parsed, deleted: true };
  }

  @Get('cron')
  cron() {
    return this.admin.cron.status();
  }

  @Post('cron/:name/run')
  @HttpCode(200)
  runCron(@Req() request: HttpRequest, @Param('name') name: string) {
    return this.actions.runCronNow(request.session!.user, name);
  }

  @Post('cron/:name/pause')
  @HttpCode(200)
  async pauseCron(@Req() request: HttpRequest, @Param('name') name: string) {
    await this.actions.setCronPaused(request.session!.user, name, true);
    return { name, paused: true };
  }

  @Post('cron/:name/resume')
  @HttpCode(200)
  async resumeCron(@Req() request: HttpRequest, @Param('name') name: string) {
    await this.actions.setCronPaused(request.session!.user, name, false);
    return { name, paused: false };
  }

  @Get('rate-limits')
  rateLimits() {
    return this.pausedKeys.view();
  }

  @Post('rate-limits/:id/resume')
  @HttpCode(200)
  async resumeKey(@Req() request: HttpRequest, @Param('id') id: string) {
    return { ...(await this.actions.resumePausedKey(request.session!.user, id)), resumed: true };
  }

  @Get('jobs/:id')
  job(@Param('id') id: string) {
    return this.jobs.status(parseJobId(id));
  }
}
