import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { headers as natsHeaders, StringCodec, type NatsConnection } from 'nats';
import pino from 'pino';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { DataSource } from 'typeorm';
import { CronTable } from '@lib/contracts';
import { insertOutboxRow, OutboxRetryScheduler } from '@lib/db';
import {
  budgetKey,
  DeadLetterAdmin,
  KeyBudgetStore,
  OutboxRelay,
  RateLimitAdmin,
  RateLimitBuckets,
  type RunningService,
} from '@lib/jetstream';
import {
  createMigratedTestDatabase,
  startNatsServer,
  startServiceUnderTest,
  waitFor,
  type NatsServerHandle,
  type TestDatabase,
} from '@lib/testing';
import { startTestkit, type Testkit } from '../../../libs/jetstream/test/fixtures/start-testkit';
import { TestkitProbe } from '../../../libs/jetstream/test/fixtures/testkit.module';
import { DashboardConfigSchema } from '../src/config';
import type { Overview } from '../src/dashboard-data.service';
import { DashboardModule } from '../src/dashboard.module';

const User = 'operator';
const Password = 'correct horse battery staple';
// `npm run docs:screenshots` points this at docs/screenshots; a plain test run leaves the checkout untouched.
const Screenshots = process.env.DASHBOARD_SCREENSHOTS_DIR ?? join(tmpdir(), 'dashboard-screenshots');
const Work = 'jobs.testkit.work';

/** The ids whose jobs fail; the test lifts the failure before retrying one from the UI. */
const poisoned = new Set<number>([1, 2]);
/** The job ids enqueue returned, by payload id, for the job lookup. */
const jobIds = new Map<number, string>();

describe('dashboard (browser)', () => {
  let nats: NatsServerHandle;
  let database: TestDatabase;
  let dashboard: RunningService;
  let testkit: Testkit;
  let relay: OutboxRelay;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let base: string;
  let deadLetters: DeadLetterAdmin;
  let nc: NatsConnection;
  const probe = new TestkitProbe().on(Work, async (payload) => {
    if (poisoned.has(payload.id)) throw new Error(`job ${payload.id} failed on purpose`);
    if (payload.sleepMs) await new Promise((resolve) => setTimeout(resolve, payload.sleepMs));
  });
  const finished = (id: number) =>
    probe.callsOf(Work).some((call) => call.payload.id === id && call.finishedAt !== undefined);

  beforeAll(async () => {
    [nats, database] = await Promise.all([startNatsServer(), createMigratedTestDatabase()]);
    dashboard = await startServiceUnderTest({
      name: 'dashboard',
      module: DashboardModule,
      configSchema: DashboardConfigSchema,
      natsUrl: nats.url,
      databaseUrl: database.url,
      env: {
        DASHBOARD_USER: User,
        DASHBOARD_PASSWORD: Password,
        DASHBOARD_SAMPLE_MS: '300',
        DASHBOARD_LOGIN_ATTEMPTS: '5',
      },
    });
    base = dashboard.httpUrl;
    nc = dashboard.nc;
    deadLetters = new DeadLetterAdmin(await nc.jetstreamManager());
    // Started after the dashboard's first sample, so everything it does shows in the history.
    await new Promise((resolve) => setTimeout(resolve, 400));
    testkit = await startTestkit({ natsUrl: nats.url, databaseUrl: database.url, probe });
    relay = new OutboxRelay(
      testkit.service.app.get(DataSource),
      nc.jetstream(),
      database.url,
      pino({ level: 'silent' }),
    );
    await relay.start();
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox'],
    });
    context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    page = await context.newPage();
    page.on('dialog', (dialog) => void dialog.accept());
  });

  afterAll(async () => {
    await browser?.close();
    await relay?.stop();
    await testkit?.service.stop();
    await dashboard?.stop();
    await nats?.stop();
    await database?.drop();
  });

  /** Clicks a form's button and waits for the page the server redirects to. */
  const submit = async (target: ReturnType<Page['locator']> | string) => {
    const locator = typeof target === 'string' ? page.locator(target) : target;
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), locator.click()]);
  };
  const shoot = (name: string) => page.screenshot({ path: join(Screenshots, `${name}.png`), fullPage: true });
  const seqOfJob = async (id: number) => {
    const { letters } = await deadLetters.list({ subject: Work });
    for (const letter of letters) {
      const detail = await deadLetters.inspect(letter.seq);
      if (detail.body.encoding === 'json' && (detail.body.value as { id: number }).id === id)
        return letter.seq;
    }
    return null;
  };

  it('sends every page to the login form and answers 401 on every API route without a session', async () => {
    for (const path of [
      '/',
      '/streams',
      '/workers',
      '/scheduled',
      '/retries',
      '/dead',
      '/dead/1',
      '/cron',
      '/rate-limits',
      '/jobs',
      '/jobs?id=x',
    ]) {
      const response = await fetch(base + path, { redirect: 'manual' });
      expect([path, response.status]).toEqual([path, 303]);
      expect(response.headers.get('location')).toBe(`/login?next=${encodeURIComponent(path)}`);
    }
    for (const path of [
      '/dead/1/retry',
      '/dead/1/delete',
      '/dead/retry-all',
      '/scheduled/x/run',
      '/cron/x/run',
      '/rate-limits/x/resume',
      '/logout',
    ]) {
      const response = await fetch(base + path, { method: 'POST', redirect: 'manual' });
      expect([path, response.status, response.headers.get('location')]).toEqual([
        path,
        303,
        '/login?next=%2F',
      ]);
    }
    const api: [string, string][] = [
      ['GET', '/api/session'],
      ['GET', '/api/overview'],
      ['GET', '/api/streams'],
      ['GET', '/api/workers'],
      ['GET', '/api/scheduled'],
      ['POST', '/api/scheduled/x/run'],
      ['DELETE', '/api/scheduled/x'],
      ['GET', '/api/dead'],
      ['GET', '/api/dead/1'],
      ['POST', '/api/dead/1/retry'],
      ['POST', '/api/dead/retry-all'],
      ['DELETE', '/api/dead/1'],
      ['GET', '/api/cron'],
      ['POST', '/api/cron/x/run'],
      ['POST', '/api/cron/x/pause'],
      ['POST', '/api/cron/x/resume'],
      ['GET', '/api/rate-limits'],
      ['POST', '/api/rate-limits/x/resume'],
      ['GET', '/api/jobs/x'],
    ];
    for (const [method, path] of api) {
      const response = await fetch(base + path, { method, redirect: 'manual' });
      expect([method, path, response.status]).toEqual([method, path, 401]);
    }
    // Behind a TLS-terminating proxy the cookies are Secure; over plain http they cannot be.
    const viaHttps = await fetch(`${base}/login`, { headers: { 'X-Forwarded-Proto': 'https' } });
    expect(viaHttps.headers.get('set-cookie')).toMatch(/HttpOnly; SameSite=Lax; Max-Age=\d+; Secure/);
    const plain = await fetch(`${base}/login`);
    expect(plain.headers.get('set-cookie')).not.toMatch(/Secure/);
    expect(plain.headers.get('content-security-policy')).toContain("script-src 'self'");
  });

  it('logs in and shows a dead job caused by the test; a retry from the UI succeeds', async () => {
    for (const id of [1, 2, 3, 4, 5]) {
      jobIds.set(id, (await testkit.service.publisher.publish(Work as never, { id } as never)).id);
    }
    await waitFor(async () => (await deadLetters.count({ subject: Work })) === 2, {
      description: 'jobs 1 and 2 dead-lettered',
    });
    await page.goto(`${base}/dead`);
    expect(page.url()).toBe(`${base}/login?next=%2Fdead`);
    await shoot('login');
    await page.fill('input[name=user]', User);
    await page.fill('input[name=password]', 'wrong password');
    await submit('button[type=submit]');
    await expect(page.textContent('.flash.error')).resolves.toContain('Wrong user name or password');
    await page.fill('input[name=user]', User);
    await page.fill('input[name=password]', Password);
    await submit('button[type=submit]');
    expect(page.url()).toBe(`${base}/dead`);

    const cookie = (await context.cookies()).find((c) => c.name === 'dashboard_session')!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', secure: false });

    const failing = (await seqOfJob(1))!;
    const other = (await seqOfJob(2))!;
    const row = page.locator(`tr[data-seq="${failing}"]`);
    await expect(row.textContent()).resolves.toContain('job 1 failed on purpose');
    await expect(page.locator('tbody tr[data-seq]').count()).resolves.toBe(2);
    await shoot('dead');

    poisoned.delete(1);
    await submit(row.locator('button', { hasText: 'Retry' }));
    await expect(page.textContent('.flash')).resolves.toContain(`Dead letter ${failing} retried`);
    await waitFor(() => finished(1), { description: 'job 1 succeeded after the retry' });
    await expect(page.locator(`tr[data-seq="${failing}"]`).count()).resolves.toBe(0);

    await submit(page.locator(`tr[data-seq="${other}"] button`, { hasText: 'Delete' }));
    await expect(page.textContent('.flash')).resolves.toContain(`Dead letter ${other} deleted`);
    await expect(page.locator('tbody tr[data-seq]').count()).resolves.toBe(0);
    expect(await deadLetters.count({ subject: Work })).toBe(0);
    expect(probe.callsOf(Work).filter((call) => call.payload.id === 2)).toHaveLength(3);
  });

  it('shows a junk dead letter with its personal and secret fields masked', async () => {
    const junk = {
      id: 9,
      email: 'leak@example.org',
      token: 's3cret-token-value',
      profile: { name: 'Ann Example' },
    };
    const headers = natsHeaders();
    headers.set('Dlq-Error', 'refused for leak@example.org');
    headers.set('Authorization', 'Bearer very-secret');
    await nc.jetstream().publish(`dlq.${Work}`, StringCodec().encode(JSON.stringify(junk)), { headers });
    const { letters } = await deadLetters.list({ subject: Work });
    await page.goto(`${base}/dead/${letters.at(-1)!.seq}`);
    const html = await page.content();
    for (const secret of ['leak@example.org', 's3cret-token-value', 'Ann Example', 'very-secret']) {
      expect(html).not.toContain(secret);
    }
    expect(html).toContain('[masked]');
    expect(html).toContain('"id": 9');
    await shoot('dead-letter');
    const detail = (await (
      await page.request.get(`${base}/api/dead/${letters.at(-1)!.seq}`)
    ).json()) as object;
    expect(JSON.stringify(detail)).not.toMatch(/leak@example\.org|s3cret|Ann Example|very-secret/);
  });

  it('runs a scheduled job now and deletes another', async () => {
    const dataSource = testkit.service.app.get(DataSource);
    const inAnHour = new Date(Date.now() + 3600_000);
    for (const [rowId, jobId] of [
      ['00000000-0000-4000-8000-000000000007', 7],
      ['00000000-0000-4000-8000-000000000008', 8],
    ] as const) {
      await insertOutboxRow(dataSource.manager, {
        id: rowId,
        subject: Work,
        headers: { 'ce-id': `scheduled-${jobId}` },
        payload: { id: jobId, email: 'hidden@example.org' },
        deliverAt: inAnHour,
      });
    }
    // A failed job parked for a long backoff, stored the way the runtime stores it.
    await new OutboxRetryScheduler(dataSource).schedule({
      subject: Work,
      data: new TextEncoder().encode(JSON.stringify({ id: 30 })),
      headers: { 'ce-id': 'retry-30', 'Job-Attempts-Spent': '2' },
      deliverAt: new Date(Date.now() + 2 * 3600_000),
    });
    await page.goto(`${base}/retries`);
    await expect(page.locator('tbody tr').count()).resolves.toBe(1);
    await expect(page.locator('tbody tr').textContent()).resolves.toContain('retry (after attempt 2)');
    await shoot('retries');
    await submit(page.locator('tr', { hasText: '"id": 30' }).locator('button', { hasText: 'Delete' }));
    expect(page.url()).toBe(`${base}/retries`);
    await expect(page.locator('tbody tr td.empty').count()).resolves.toBe(1);

    await page.goto(`${base}/scheduled`);
    await expect(page.locator('tbody tr').count()).resolves.toBe(2);
    expect(await page.content()).not.toContain('hidden@example.org');
    await shoot('scheduled');
    await submit(page.locator('tr', { hasText: '"id": 7' }).locator('button', { hasText: 'Run now' }));
    await waitFor(() => probe.callsOf(Work).some((call) => call.payload.id === 7), {
      description: 'the scheduled job ran after "run now"',
    });
    await submit(page.locator('tr', { hasText: '"id": 8' }).locator('button', { hasText: 'Delete' }));
    await expect(page.textContent('.flash')).resolves.toContain('Scheduled job deleted');
    const rows = (await dataSource.query('SELECT id FROM outbox_messages')) as unknown[];
    expect(rows).toHaveLength(0);
    expect(probe.callsOf(Work).some((call) => call.payload.id === 8)).toBe(false);
  });

  it('runs a cron entry now and shows its last run change', async () => {
    const entry = CronTable[0];
    await page.goto(`${base}/cron`);
    const lastRun = page.locator(`tr[data-cron="${entry.name}"] td.last-run`);
    await expect(lastRun.textContent()).resolves.toBe('never');
    await submit(page.locator(`tr[data-cron="${entry.name}"] button`, { hasText: 'Run now' }));
    await expect(page.textContent('.flash')).resolves.toContain(`${entry.name} published`);
    await expect(lastRun.textContent()).resolves.toMatch(/ago$/);
    const jsm = await nc.jetstreamManager();
    const published = await jsm.streams.getMessage('JOBS', { last_by_subj: entry.subject });
    expect(published.header.get('Nats-Msg-Id')).toMatch(new RegExp(`^cron:${entry.name}:manual:`));
    await submit(page.locator(`tr[data-cron="${entry.name}"] button`, { hasText: 'Pause' }));
    await expect(page.locator(`tr[data-cron="${entry.name}"]`).textContent()).resolves.toContain('paused');
    await shoot('cron');
    await submit(page.locator(`tr[data-cron="${entry.name}"] button`, { hasText: 'Resume' }));
    await expect(page.locator(`tr[data-cron="${entry.name}"]`).textContent()).resolves.not.toContain(
      'paused',
    );
  });

  it('lists paused keys with their slots in use, and resumes one from the UI', async () => {
    const rateLimits = await RateLimitAdmin.open(nc);
    const consumer = 'testkit__jobs_testkit_work';
    const hooks = { consumer, subject: Work, key: 'hooks.example.org' };
    const mail = { consumer, subject: Work, key: 'smtp-relay' };
    await rateLimits.pauseKey(hooks, 60_000, 'HTTP 429 (Retry-After: 60)');
    await rateLimits.pauseKey(mail, 15 * 60_000, 'maintenance');
    // One job of the hooks key running somewhere: its concurrency slot, as a worker takes it.
    const budgets = new KeyBudgetStore(
      await nc.jetstream().views.kv(RateLimitBuckets.budgets, { history: 1 }),
    );
    expect(await budgets.takeSlot(budgetKey(consumer, hooks.key), 2, 'worker-1.1', 60_000)).toBe(true);

    await page.goto(`${base}/`);
    await submit(page.locator('nav a', { hasText: 'Rate limits' }));
    expect(page.url()).toBe(`${base}/rate-limits`);
    const row = page.locator(`tr[data-pause="${budgetKey(consumer, hooks.key)}"]`);
    await expect(row.textContent()).resolves.toMatch(
      /hooks\.example\.org[\s\S]*HTTP 429 \(Retry-After: 60\)/,
    );
    await expect(row.locator('td').nth(6).textContent()).resolves.toBe('1');
    await expect(page.locator('tr[data-pause]').count()).resolves.toBe(2);
    await expect(page.locator('tr.slot', { hasText: 'hooks.example.org' }).textContent()).resolves.toContain(
      consumer,
    );
    await shoot('rate-limits');

    await submit(row.locator('button', { hasText: 'Resume' }));
    await expect(page.textContent('.flash')).resolves.toContain(`${Work} key hooks.example.org resumed`);
    await expect(page.locator('tr[data-pause]').count()).resolves.toBe(1);
    expect((await rateLimits.listPausedKeys()).map((pause) => pause.key)).toEqual(['smtp-relay']);

    const view = (await (await page.request.get(`${base}/api/rate-limits`)).json()) as {
      paused: { id: string; key: string; reason: string; until: string }[];
      slots: { consumer: string; key: string; holders: number }[];
    };
    expect(view.paused).toEqual([
      expect.objectContaining({
        id: budgetKey(consumer, mail.key),
        key: 'smtp-relay',
        reason: 'maintenance',
      }),
    ]);
    expect(view.slots).toEqual([
      { consumer, key: expect.stringMatching(/^sha256 [0-9a-f]{12}…$/), holders: 1 },
    ]);
    const session = (await (await page.request.get(`${base}/api/session`)).json()) as { csrfToken: string };
    const resume = () =>
      page.request.post(`${base}/api/rate-limits/${view.paused[0].id}/resume`, {
        headers: { 'X-CSRF-Token': session.csrfToken },
      });
    expect(await (await resume()).json()).toEqual({
      consumer,
      subject: Work,
      key: 'smtp-relay',
      resumed: true,
    });
    expect((await resume()).status()).toBe(404);
    expect(await rateLimits.listPausedKeys()).toEqual([]);
  });

  it('looks a job up by the id enqueue returned: state, attempt, times and last error', async () => {
    const dead = jobIds.get(2)!;
    await page.goto(`${base}/jobs`);
    await page.fill('input[name=id]', dead);
    await submit('form.filter button');
    expect(page.url()).toBe(`${base}/jobs?id=${dead}`);
    await expect(page.textContent('dd.state')).resolves.toBe('dead');
    await expect(page.textContent('dd.attempt')).resolves.toBe('3');
    await expect(page.textContent('dl.job-status')).resolves.toContain('job 2 failed on purpose');

    // Job 1 died too, was retried from the dead letters and then succeeded: its last error is kept.
    const retried = jobIds.get(1)!;
    await page.fill('input[name=id]', retried);
    await submit('form.filter button');
    await expect(page.textContent('dd.state')).resolves.toBe('completed');
    await expect(page.textContent('dl.job-status')).resolves.toContain('job 1 failed on purpose');
    await shoot('jobs');

    const unknown = await page.goto(`${base}/jobs?id=no-such-job`);
    expect(unknown!.status()).toBe(404);
    await expect(page.textContent('.flash.error')).resolves.toContain('No status for job no-such-job');
    const api = (await (await page.request.get(`${base}/api/jobs/${encodeURIComponent(dead)}`)).json()) as {
      state: string;
      attempt: number;
      lastError: string;
      finishedAt: string;
    };
    expect(api).toMatchObject({
      state: 'dead',
      attempt: 3,
      lastError: expect.stringContaining('on purpose'),
    });
    expect(Date.parse(api.finishedAt)).toBeGreaterThan(0);
    expect((await page.request.get(`${base}/api/jobs/no-such-job`)).status()).toBe(404);
  });

  it('lists busy workers with their running jobs, streams and consumers, and the history', async () => {
    await testkit.service.publisher.publish(Work as never, { id: 20, sleepMs: 6000 } as never);
    await waitFor(() => probe.running > 0, { description: 'a long job running' });
    await page.goto(`${base}/workers`);
    await waitFor(
      async () => {
        await page.reload();
        return (await page.locator('tr.job', { hasText: Work }).count()) > 0;
      },
      {
        timeoutMs: 10_000,
        intervalMs: 500,
        description: "the running job in its worker's heartbeat (every 5 s)",
      },
    );
    await expect(page.locator('tr.worker', { hasText: 'testkit' }).count()).resolves.toBe(1);
    await shoot('workers');

    await page.goto(`${base}/streams`);
    const consumer = page.locator('tr', { hasText: 'testkit__jobs_testkit_work' });
    await expect(consumer.count()).resolves.toBe(1);
    // Jobs this test finished within the last five minutes, per minute.
    expect(Number(await consumer.locator('td').last().textContent())).toBeGreaterThan(0);
    await shoot('streams');

    // Jobs 3, 4, 5, 7 and the retried 1 succeeded (20 may have too); 1 and 2 failed 3 times each and died.
    const overview = await waitFor(
      async () => {
        const current = (await (await page.request.get(`${base}/api/overview`)).json()) as Overview;
        return current.lastHour.processed >= 5 && current.lastHour.dead === 2 && current;
      },
      { timeoutMs: 15_000, description: 'the sampled history counts the jobs of this test' },
    );
    expect(overview.lastHour).toMatchObject({ failed: 6, retried: 4, dead: 2, discarded: 0 });
    expect(overview.sinceWorkersStarted).toMatchObject({ failed: 6, dead: 2 });
    expect(overview.perMinute).toHaveLength(60);
    expect(overview.perMinute.reduce((sum, point) => sum + point.failed, 0)).toBe(6);
    await page.goto(`${base}/`);
    await expect(page.locator('svg.chart polyline.processed').count()).resolves.toBe(1);
    await shoot('overview');
  });

  it('refuses state-changing requests without the CSRF token (403), forms and API alike', async () => {
    const form = await page.request.post(`${base}/dead/retry-all`, {
      form: { subject: Work },
      maxRedirects: 0,
    });
    expect(form.status()).toBe(403);
    const wrong = await page.request.post(`${base}/cron/${CronTable[0].name}/run`, {
      form: { _csrf: 'not-the-token' },
      maxRedirects: 0,
    });
    expect(wrong.status()).toBe(403);
    const api = await page.request.post(`${base}/api/cron/${CronTable[0].name}/pause`);
    expect(api.status()).toBe(403);
    const resumeForm = await page.request.post(`${base}/rate-limits/x/resume`, { maxRedirects: 0 });
    expect(resumeForm.status()).toBe(403);
    const resumeApi = await page.request.post(`${base}/api/rate-limits/x/resume`);
    expect(resumeApi.status()).toBe(403);
    const session = (await (await page.request.get(`${base}/api/session`)).json()) as { csrfToken: string };
    const allowed = await page.request.post(`${base}/api/cron/${CronTable[0].name}/pause`, {
      headers: { 'X-CSRF-Token': session.csrfToken },
    });
    expect(allowed.status()).toBe(200);
    const resumed = await page.request.post(`${base}/api/cron/${CronTable[0].name}/resume`, {
      headers: { 'X-CSRF-Token': session.csrfToken },
    });
    expect(await resumed.json()).toEqual({ name: CronTable[0].name, paused: false });
    const unknown = await page.request.post(`${base}/api/cron/no-such-entry/run`, {
      headers: { 'X-CSRF-Token': session.csrfToken },
    });
    expect(unknown.status()).toBe(404);
    expect(((await unknown.json()) as { message: string }).message).toContain(
      'No cron entry "no-such-entry"',
    );
  });

  it('logs out, and limits failed logins per client', async () => {
    await page.goto(`${base}/`);
    await submit('.logout button');
    expect(page.url()).toBe(`${base}/login`);
    expect((await page.request.get(`${base}/api/session`)).status()).toBe(401);
    const attempt = (password: string) =>
      fetch(`${base}/api/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ user: User, password }),
      });
    // 5 failures allowed in the window (the browser's earlier one was cleared by its successful login).
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await attempt('nope')).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    expect((await attempt(Password)).status).toBe(429);
  });
});
