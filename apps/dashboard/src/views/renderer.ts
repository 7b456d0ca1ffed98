import { Injectable } from '@nestjs/common';
import Handlebars from 'handlebars';
import type { Session } from '../auth/session-store';
import { formatBytes, formatDuration, formatRelative, formatTime } from './format';
import {
  CronTemplate,
  DeadLetterTemplate,
  DeadTemplate,
  ErrorTemplate,
  JobsTemplate,
  LayoutTemplate,
  LoginTemplate,
  OverviewTemplate,
  RateLimitsTemplate,
  ScheduledTemplate,
  StreamsTemplate,
  WorkersTemplate,
} from './templates';

const Pages = {
  overview: OverviewTemplate,
  streams: StreamsTemplate,
  workers: WorkersTemplate,
  scheduled: ScheduledTemplate,
  dead: DeadTemplate,
  deadLetter: DeadLetterTemplate,
  cron: CronTemplate,
  rateLimits: RateLimitsTemplate,
  jobs: JobsTemplate,
  login: LoginTemplate,
  error: ErrorTemplate,
} as const;

export type PageName = keyof typeof Pages;

const Navigation = [
  { href: '/', label: 'Overview', section: 'overview' },
  { href: '/streams', label: 'Streams', section: 'streams' },
  { href: '/workers', label: 'Busy', section: 'workers' },
  { href: '/jobs', label: 'Jobs', section: 'jobs' },
  { href: '/scheduled', label: 'Scheduled', section: 'scheduled' },
  { href: '/retries', label: 'Retries', section: 'retries' },
  { href: '/dead', label: 'Dead', section: 'dead' },
  { href: '/cron', label: 'Cron', section: 'cron' },
  { href: '/rate-limits', label: 'Rate limits', section: 'rate-limits' },
];

export interface Flash {
  kind: 'ok' | 'error';
  text: string;
}

export interface PageRequest {
  page: PageName;
  title: string;
  /** The navigation entry to highlight. */
  section?: string;
  session?: Session | null;
  flash?: Flash | null;
  data: object;
}

/** Server-side rendering with Handlebars; every value is escaped unless a template says otherwise. */
@Injectable()
export class Renderer {
  private readonly handlebars = Handlebars.create();
  private readonly layout: HandlebarsTemplateDelegate;
  private readonly pages: Record<PageName, HandlebarsTemplateDelegate>;

  constructor() {
    const h = this.handlebars;
    h.registerHelper('time', (value: unknown) => formatTime(value));
    h.registerHelper('ago', (value: unknown) => formatRelative(value));
    h.registerHelper('duration', (value: unknown) => formatDuration(value));
    h.registerHelper('bytes', (value: unknown) => formatBytes(value));
    h.registerHelper('uri', (value: unknown) => encodeURIComponent(typeof value === 'string' ? value : ''));
    h.registerHelper('json', (value: unknown) => JSON.stringify(value, null, 2));
    h.registerHelper('join', (value: unknown) => (Array.isArray(value) ? value.join(', ') : ''));
    h.registerHelper('truncate', (value: unknown, length: unknown) => {
      const text = typeof value === 'string' ? value : '';
      const max = typeof length === 'number' ? length : 120;
      return text.length > max ? `${text.slice(0, max - 1)}…` : text;
    });
    const compile = (template: string) => h.compile(template, { strict: false, noEscape: false });
    this.layout = compile(LayoutTemplate);
    this.pages = Object.fromEntries(
      Object.entries(Pages).map(([name, template]) => [name, compile(template)]),
    ) as Record<PageName, HandlebarsTemplateDelegate>;
  }

  render(request: PageRequest): string {
    const csrfToken = request.session?.csrfToken ?? '';
    const content = this.pages[request.page]({ ...request.data, csrfToken });
    return this.layout({
      title: request.title,
      content,
      csrfToken,
      user: request.session?.user,
      flash: request.flash ?? null,
      nav: request.session
        ? Navigation.map((item) => ({ ...item, active: item.section === request.section }))
        : [],
    });
  }
}
