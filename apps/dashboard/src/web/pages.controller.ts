import { Controller, Get, Param, Query, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import type { HttpRequest, HttpResponse } from '../auth/http-types';
import { SessionGuard } from '../auth/session.guard';
import { parseSeq, parseSubjectFilter } from '../dashboard-actions.service';
import { DashboardData } from '../dashboard-data.service';
import { JobLookup, JobNotFoundError, parseJobId, type JobStatusView } from '../jobs/job-lookup';
import { PausedKeys } from '../rate-limits/paused-keys';
import { perMinuteChart } from '../views/chart';
import { Renderer, type PageName } from '../views/renderer';
import { OperatorAdmin } from '@lib/jetstream';
import { DashboardExceptionFilter } from './dashboard-exception.filter';
import { sendHtml } from './respond';

const ScheduledPageSize = 50;

/** The HTML pages; each reads its data through DashboardData, which masks what must not be shown. */
@Controller()
@UseGuards(SessionGuard)
@UseFilters(DashboardExceptionFilter)
export class PagesController {
  constructor(
    private readonly data: DashboardData,
    private readonly admin: OperatorAdmin,
    private readonly renderer: Renderer,
    private readonly pausedKeys: PausedKeys,
    private readonly jobs: JobLookup,
  ) {}

  @Get()
  async overview(@Req() request: HttpRequest, @Res() response: HttpResponse): Promise<void> {
    const overview = await this.data.overview();
    this.page(request, response, 'overview', 'Overview', {
      ...overview,
      chart: perMinuteChart(overview.perMinute),
    });
  }

  @Get('streams')
  async streams(@Req() request: HttpRequest, @Res() response: HttpResponse): Promise<void> {
    this.page(request, response, 'streams', 'Streams and consumers', await this.data.streams());
  }

  @Get('workers')
  async workers(@Req() request: HttpRequest, @Res() response: HttpResponse): Promise<void> {
    this.page(request, response, 'workers', 'Busy workers', { workers: await this.data.workers() });
  }

  @Get('scheduled')
  async scheduled(
    @Req() request: HttpRequest,
    @Res() response: HttpResponse,
    @Query('offset') offsetParam?: string,
  ): Promise<void> {
    await this.scheduledPage(request, response, 'all', offsetParam);
  }

  @Get('retries')
  async retries(
    @Req() request: HttpRequest,
    @Res() response: HttpResponse,
    @Query('offset') offsetParam?: string,
  ): Promise<void> {
    await this.scheduledPage(request, response, 'retry', offsetParam);
  }

  @Get('dead')
  async dead(
    @Req() request: HttpRequest,
    @Res() response: HttpResponse,
    @Query('subject') subjectParam?: string,
    @Query('from') fromParam?: string,
  ): Promise<void> {
    const subject = parseSubjectFilter(subjectParam);
    const fromSeq = fromParam ? parseSeq(fromParam) : undefined;
    const [page, count] = await Promise.all([
      this.data.deadLetters(subject, fromSeq),
      this.admin.deadLetters.count({ subject }),
    ]);
    this.page(request, response, 'dead', 'Dead letters', { ...page, count, subject: subject ?? '' });
  }

  @Get('dead/:seq')
  async deadLetter(
    @Req() request: HttpRequest,
    @Res() response: HttpResponse,
    @Param('seq') seq: string,
  ): Promise<void> {
    const letter = await this.data.deadLetter(parseSeq(seq));
    this.page(request, response, 'deadLetter', `Dead letter ${letter.seq}`, letter, 'dead');
  }

  @Get('cron')
  async cron(@Req() request: HttpRequest, @Res() response: HttpResponse): Promise<void> {
    this.page(request, response, 'cron', 'Cron', { entries: await this.admin.cron.status() });
  }

  @Get('rate-limits')
  async rateLimits(@Req() request: HttpRequest, @Res() response: HttpResponse): Promise<void> {
    this.page(request, response, 'rateLimits', 'Rate limits', await this.pausedKeys.view(), 'rate-limits');
  }

  /** Looks a job up by id; an unknown id is a 404 with the search box still there. */
  @Get('jobs')
  async jobLookup(
    @Req() request: HttpRequest,
    @Res() response: HttpResponse,
    @Query('id') idParam?: string,
  ): Promise<void> {
    if (idParam === undefined || idParam.trim() === '') {
      return this.page(request, response, 'jobs', 'Jobs', { id: '' });
    }
    const id = parseJobId(idParam);
    let job: JobStatusView;
    try {
      job = await this.jobs.status(id);
    } catch (error) {
      if (!(error instanceof JobNotFoundError)) throw error;
      return this.page(request, response, 'jobs', 'Jobs', { id, notFound: error.message }, 'jobs', 404);
    }
    this.page(request, response, 'jobs', `Job ${id}`, { id, job });
  }

  private async scheduledPage(
    request: HttpRequest,
    response: HttpResponse,
    kind: 'all' | 'retry',
    offsetParam: string | undefined,
  ): Promise<void> {
    const offset = /^\d{1,9}$/.test(offsetParam ?? '') ? Number(offsetParam) : 0;
    const page = await this.data.scheduled(ScheduledPageSize, offset, kind);
    const nextOffset = offset + ScheduledPageSize < page.total ? offset + ScheduledPageSize : null;
    const path = kind === 'retry' ? '/retries' : '/scheduled';
    const title = kind === 'retry' ? 'Retries' : 'Scheduled';
    const data = { ...page, nextOffset, path, retriesOnly: kind === 'retry' };
    this.page(request, response, 'scheduled', title, data, kind === 'retry' ? 'retries' : 'scheduled');
  }

  private page(
    request: HttpRequest,
    response: HttpResponse,
    page: PageName,
    title: string,
    data: object,
    section: string = page,
    status = 200,
  ): void {
    const session = request.session!;
    const flash = session.flash;
    session.flash = undefined;
    sendHtml(response, status, this.renderer.render({ page, title, section, session, flash, data }));
  }
}
