import { hostname } from 'node:os';
import { isObservable, lastValueFrom } from 'rxjs';
import { z } from 'zod';
import type { JetStreamClient, JetStreamManager, JsMsg, KV, NatsConnection } from 'nats';
import type { Logger } from 'pino';
import {
  AttemptsSpentHeader,
  BatchIdHeader,
  FirstFailureHeader,
  PriorityWeights,
  subjectsHandledBy,
  type Contract,
  type ContractMap,
  type DeadLetterReason,
} from '@lib/contracts';
import { retryDelayMs } from './backoff';
import { DeadLetters, MaxDeliveriesWatcher } from './dead-letters';
import { deliveryAttemptOf, headerValue, jobIdOf, storedAtMsOf, traceIdOf } from './envelope';
import { DiscardError, JobTimeoutError, RetryLaterError, UnrecoverableError } from './errors';
import { FirstFailures } from './first-failures';
import { JobContext } from './job-context';
import type { JobHandler } from './job-handler';
import type { WorkerMetrics } from './metrics';
import type { BatchMemberRecorder, FinalJobState, JobStatusRecorder, JobTransition } from './lifecycle';
import {
  CancellationMarks,
  JobCancelledError,
  openCancellationBucket,
  type CancellationMark,
} from './lifecycle/job-cancellation';
import {
  holdsOf,
  Prerequisites,
  PrerequisitesHeader,
  waitingSinceOf,
  type PrerequisiteVerdict,
} from './lifecycle/prerequisites';
import { KvBuckets, streamForSubject } from './names';
import {
  DefaultRateLimitSettings,
  limitsOf,
  RateLimiter,
  type RateLimitSettings,
  type SubjectAdmission,
  type ThrottleReason,
} from './rate-limit';
import { consumerConfig, ensureConsumer, ensureStreams, type StreamSettings } from './provisioning';
import { UniqueLockHeader } from './publisher';
import { SubjectConsumer, type PullSettings } from './subject-consumer';
import { UniqueJobLocks } from './unique-job-locks';

export interface RuntimeSettings {
  /** Jobs this process runs at once, shared by all its subjects by priority weight. */
  slots: number;
  ackWaitMs: number;
  pull: Omit<PullSettings, 'apiTimeoutMs'>;
  shutdownGraceMs: number;
  defaultMaxAckPending: number;
  streams: StreamSettings;
  /** Retries waiting longer than this go through `delayedRetries` (the outbox) instead of a server-side nak. */
  longRetryThresholdMs: number;
  workerHeartbeatMs: number;
}

export const DefaultRuntimeSettings: Omit<RuntimeSettings, 'streams'> = {
  slots: 50,
  ackWaitMs: 10_000,
  pull: { window: 1000, requestExpiresMs: 5_000, idleHeartbeatMs: 2_000 },
  shutdownGraceMs: 25_000,
  defaultMaxAckPending: 20_000,
  longRetryThresholdMs: 5 * 60_000,
  workerHeartbeatMs: 5_000,
};

/** Where retries that wait long are parked, so they do not hold `max_ack_pending` (the outbox, in libs/db). */
export interface DelayedRetryScheduler {
  schedule(retry: {
    subject: string;
    data: Uint8Array;
    headers: Record<string, string>;
    deliverAt: Date;
  }): Promise<void>;
}

export interface WorkerRuntimeOptions {
  app: string;
  version: string;
  contracts: ContractMap;
  nc: NatsConnection;
  logger: Logger;
  metrics: WorkerMetrics;
  settings: RuntimeSettings;
  delayedRetries?: DelayedRetryScheduler;
  /** Needed when a contract of this service has a uniqueness key: its lock is released once the job is done. */
  uniqueLocks?: UniqueJobLocks;
  /** Per-app overrides and leases of the `rateLimit` / `concurrencyPerKey` options. */
  rateLimits?: RateLimitSettings;
  /** Where job state changes go (`job_statuses`), for subjects that do not opt out with `trackStatus: false`. */
  statuses?: JobStatusRecorder;
  /** Where batch members' final states are counted (`job_batches`); without it batch members are plain jobs. */
  batches?: BatchMemberRecorder;
  /** Checks the jobs a job waits for (`publish(…, { prerequisites })`), for subjects that track their status. */
  prerequisites?: Prerequisites;
}

/**
 * Deliveries a limited job may spend waiting for its budget on `nak` before it is parked in the outbox (which
 * starts its delivery count afresh); its consumer's `max_deliver` is raised by as much, so waiting never makes
 * the server give up on it.
 */
const DeferralAllowance = 50;

/** A subject's consumer, with its limits resolved once at start: jobs of unlimited subjects only test a field. */
class RuntimeConsumer extends SubjectConsumer {
  admission?: SubjectAdmission;
  statuses?: JobStatusRecorder;
  prerequisites?: Prerequisites;
}

interface ActiveJob {
  consumer: RuntimeConsumer;
  msg: JsMsg;
  startedAt: number;
  ctx?: JobContext;
  /** Frees the job's concurrency slot (limited subjects only). */
  release?: () => void;
}

class ShutdownAbort extends Error {
  override readonly name = 'ShutdownAbort';
}

const decoder = new TextDecoder();

/**
 * Runs the handlers of one service: provisions streams and consumers, pulls by priority into a fixed number
 * of slots, decides each delivery's fate (ack, retry with backoff, dead-letter) and drains on shutdown.
 */
export class WorkerRuntime {
  private readonly js: JetStreamClient;
  private jsm!: JetStreamManager;
  private consumers: RuntimeConsumer[] = [];
  private rateLimiter?: RateLimiter;
  private readonly active = new Set<ActiveJob>();
  private buffered = 0;
  private running = 0;
  private stopping = false;
  private started = false;
  private connected = true;
  private timers: NodeJS.Timeout[] = [];
  private deadLetters: DeadLetters;
  private watcher?: MaxDeliveriesWatcher;
  private workersKv?: KV;
  private firstFailures?: FirstFailures;
  /** Cancelled jobs not yet delivered: a delivery looks itself up only while there are any. */
  private cancelMarks?: CancellationMarks;
  private readonly workerKey: string;
  private idle: (() => void) | null = null;
  private pumping = false;
  private readonly startedAt = new Date();

  constructor(private readonly options: WorkerRuntimeOptions) {
    this.js = options.nc.jetstream();
    this.debugLogs = options.logger.isLevelEnabled('debug');
    this.deadLetters = new DeadLetters(this.js, options.app);
    this.workerKey = `${options.app}.${hostname().replace(/[^A-Za-z0-9_-]/g, '_')}.${process.pid}`;
  }

  get ready(): boolean {
    return this.started && !this.stopping && this.connected && !this.options.nc.isClosed();
  }

  get inFlight(): number {
    return this.running;
  }

  /** Checks that every subject of this service has exactly one handler, then starts consuming. */
  async start(handlers: ReadonlyMap<string, readonly JobHandler[]>): Promise<void> {
    const { app, contracts, nc, settings, logger } = this.options;
    const contractsOfApp = assertHandlersMatchContracts(app, contracts, handlers);
    this.jsm = await nc.jetstreamManager();
    await ensureStreams(this.jsm, settings.streams);
    const kvOptions = { replicas: settings.streams.replicas, history: 1 };
    this.workersKv = await this.js.views.kv(KvBuckets.workers, {
      ...kvOptions,
      ttl: settings.workerHeartbeatMs * 6,
    });
    const unique = contractsOfApp.find((c) => c.options.unique);
    if (unique && !this.options.uniqueLocks)
      throw new Error(`${unique.subject} has a uniqueness key: uniqueLocks required`);
    this.firstFailures = new FirstFailures(
      await this.js.views.kv(KvBuckets.firstFailures, { ...kvOptions, ttl: 30 * 24 * 3600_000 }),
    );
    this.watcher = new MaxDeliveriesWatcher(nc, this.jsm, this.deadLetters, logger, this.firstFailures, {
      statuses: this.options.statuses,
      batches: this.options.batches,
    });
    this.cancelMarks = await CancellationMarks.watch(
      await openCancellationBucket(this.js, settings.streams.replicas),
      this.onCancelMark,
      logger,
    );
    const rateLimits = this.options.rateLimits ?? DefaultRateLimitSettings;
    if (contractsOfApp.some((contract) => limitsOf(contract, rateLimits))) {
      this.rateLimiter = await RateLimiter.open(this.js, {
        replicas: settings.streams.replicas,
        settings: rateLimits,
        holderPrefix: this.workerKey,
        logger,
        registry: this.options.metrics.registry,
      });
    }
    const pullSettings: PullSettings = { ...settings.pull, apiTimeoutMs: 5000 };
    for (const contract of contractsOfApp) {
      const stream = streamForSubject(contract.subject);
      const config = this.consumerConfigFor(contract);
      await ensureConsumer(this.jsm, stream, config);
      this.watcher.watch(stream, config.durable_name!, contract.options.trackStatus !== false);
      this.options.metrics.register(contract.subject);
      const consumer = new RuntimeConsumer(
        nc,
        contract,
        handlers.get(contract.subject)![0],
        stream,
        config.durable_name!,
        PriorityWeights[contract.options.priority],
        pullSettings,
        this.accept,
        this.onConsumerProblem,
      );
      consumer.admission = this.rateLimiter?.admissionFor(contract, consumer.durable);
      if (contract.options.trackStatus !== false) consumer.statuses = this.options.statuses;
      if (consumer.statuses !== undefined) consumer.prerequisites = this.options.prerequisites;
      this.consumers.push(consumer);
    }
    this.options.metrics.setPendingProbe(() => this.pendingBySubject());
    this.watchConnection();
    this.startTimers();
    this.started = true;
    for (const consumer of this.consumers) consumer.start();
    await this.publishHeartbeat();
    logger.info(
      { subjects: this.consumers.map((c) => c.subject), slots: settings.slots },
      `${app} consuming ${this.consumers.length} subject(s)`,
    );
  }

  /** Stops pulling, returns buffered messages, lets running jobs finish within the grace period, naks the rest. */
  async drain(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    const { logger, settings } = this.options;
    for (const consumer of this.consumers) {
      consumer.stop();
      for (const msg of consumer.buffer.drain()) msg.nak(this.handBackDelayMs);
    }
    this.buffered = 0;
    if (this.running > 0) {
      logger.info({ inFlight: this.running }, 'waiting for running jobs to finish');
      const finished = new Promise<void>((resolve) => (this.idle = resolve));
      const grace = new Promise<'timeout'>((resolve) => {
        const timer = setTimeout(() => resolve('timeout'), settings.shutdownGraceMs);
        timer.unref();
      });
      if ((await Promise.race([finished, grace])) === 'timeout') {
        logger.warn(
          { inFlight: this.running },
          'grace period over: aborting running jobs, they will be redelivered',
        );
        for (const job of this.active) {
          job.ctx?.abort(new ShutdownAbort('worker shutting down'));
          job.msg.nak();
        }
      }
    }
    await this.options.nc.flush().catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.drain();
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    this.watcher?.stop();
    this.rateLimiter?.stop();
    this.cancelMarks?.stop();
    await this.workersKv?.delete(this.workerKey).catch(() => undefined);
    this.started = false;
  }

  /**
   * Messages handed back at shutdown are redelivered only once our pull requests have expired on the server.
   * nats-server 2.9 mishandles a redelivery that meets a pull request whose inbox is gone: it drops that
   * delivery (the message then waits for its ack timeout) and re-sends another message as new (a duplicate).
   */
  private get handBackDelayMs(): number {
    return this.options.settings.pull.requestExpiresMs + 1000;
  }

  private readonly accept = (consumer: RuntimeConsumer, msg: JsMsg): void => {
    if (this.stopping) {
      msg.nak(this.handBackDelayMs);
      return;
    }
    if (this.running < this.options.settings.slots && this.buffered === 0) {
      this.run(consumer, msg);
    } else {
      consumer.buffer.push(msg);
      this.buffered++;
    }
  };

  private run(consumer: RuntimeConsumer, msg: JsMsg): void {
    this.running++;
    consumer.running++;
    const job: ActiveJob = { consumer, msg, startedAt: Date.now(), release: undefined };
    this.active.add(job);
    let pending: Promise<void> | undefined;
    try {
      pending = this.execute(job);
    } catch (error) {
      this.options.logger.error({ err: error, subject: consumer.subject }, 'job bookkeeping failed');
    }
    // A handler that returned a plain value is done already: free its slot now, without a microtask hop,
    // so acks leave in the same socket writes as raw nats.js batches them.
    if (!pending) {
      this.finish(job);
      return;
    }
    pending.then(
      () => this.finish(job),
      (error: Error) => {
        this.options.logger.error({ err: error, subject: consumer.subject }, 'job bookkeeping failed');
        this.finish(job);
      },
    );
  }

  private finish(job: ActiveJob): void {
    if (job.release !== undefined) job.release();
    this.active.delete(job);
    this.running--;
    job.consumer.running--;
    if (this.stopping) {
      if (this.running === 0) this.idle?.();
      return;
    }
    this.pump();
    job.consumer.pullIfNeeded();
  }

  /**
   * Fills free slots from the buffers, choosing among non-empty ones by Sidekiq-style weights. Not
   * re-entered: a job finishing synchronously inside the loop only frees its slot, and the loop goes on.
   */
  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      const slots = this.options.settings.slots;
      while (this.running < slots && this.buffered > 0) {
        const consumer = this.pickConsumer();
        const msg = consumer.buffer.shift()!;
        this.buffered--;
        this.run(consumer, msg);
      }
    } finally {
      this.pumping = false;
    }
  }

  private pickConsumer(): RuntimeConsumer {
    let total = 0;
    let only: RuntimeConsumer | undefined;
    let candidates = 0;
    for (const consumer of this.consumers) {
      if (consumer.buffer.length === 0) continue;
      total += consumer.weight;
      only = consumer;
      candidates++;
    }
    if (candidates === 1) return only!;
    let ticket = Math.random() * total;
    for (const consumer of this.consumers) {
      if (consumer.buffer.length === 0) continue;
      ticket -= consumer.weight;
      if (ticket < 0) return consumer;
    }
    return only!;
  }

  /**
   * Runs one delivery. Returns nothing when the job finished synchronously (the common case for quick
   * handlers), or the promise of its outcome.
   */
  private execute(job: ActiveJob): Promise<void> | undefined {
    const { consumer, msg } = job;
    const contract = consumer.contract;
    const marks = this.cancelMarks;
    if (marks !== undefined && marks.any && marks.covers(msg)) return this.dropCancelled(job, marks);
    let payload: unknown;
    try {
      payload = JSON.parse(decoder.decode(msg.data));
    } catch (error) {
      const reason = new Error(`body is not JSON: ${(error as Error).message}`);
      return this.deadLetter(job, 'invalid-payload', reason, deliveryAttemptOf(msg)).then(() => undefined);
    }
    const parsed = contract.schema.safeParse(payload);
    if (!parsed.success) {
      const reason = new Error(z.prettifyError(parsed.error));
      return this.deadLetter(job, 'invalid-payload', reason, deliveryAttemptOf(msg)).then(() => undefined);
    }
    // Read from the raw header block: decoding every header would cost a no-op job a quarter of its time.
    if (consumer.prerequisites !== undefined) {
      const named = headerValue(msg, PrerequisitesHeader);
      if (named) return this.awaitPrerequisites(job, consumer.prerequisites, named, parsed.data);
    }
    return this.begin(job, parsed.data);
  }

  private begin(job: ActiveJob, payload: unknown): Promise<void> | undefined {
    const admission = job.consumer.admission;
    if (admission !== undefined) return this.admitThenInvoke(job, admission, payload);
    return this.invoke(job, payload, contextOf(job));
  }

  /**
   * A job naming prerequisites runs once all of them completed and fails once one of them failed, died or was
   * cancelled; until then it is parked in the outbox (acked, its attempt unspent) and woken when one finishes.
   */
  private async awaitPrerequisites(
    job: ActiveJob,
    prerequisites: Prerequisites,
    named: string,
    payload: unknown,
  ): Promise<void> {
    const { msg } = job;
    const ctx = contextOf(job);
    const holds = holdsOf(ctx);
    let verdict: PrerequisiteVerdict;
    try {
      verdict = await prerequisites.verdict(Prerequisites.parse(named), waitingSinceOf(msg, ctx), holds);
      if (verdict.kind === 'waiting') {
        await prerequisites.hold(msg, ctx, verdict);
        msg.ack();
        return;
      }
    } catch (error) {
      job.ctx = ctx;
      const reason = new Error(`could not check prerequisites: ${asError(error).message}`);
      return this.fail(job, ctx, payload, reason);
    }
    if (holds > 0) prerequisites.forget(ctx.jobId).catch(() => undefined);
    if (verdict.kind === 'failed') {
      job.ctx = ctx;
      return this.fail(job, ctx, payload, new UnrecoverableError(verdict.reason));
    }
    await this.begin(job, payload);
  }

  /** A job cancelled while queued: acked without running, status `cancelled` (see `fail`). */
  private dropCancelled(job: ActiveJob, marks: CancellationMarks): Promise<void> {
    const ctx = contextOf(job);
    job.ctx = ctx;
    if (marks.ids.has(ctx.jobId)) marks.honour(ctx.jobId);
    return this.fail(job, ctx, undefined, new JobCancelledError('cancelled before it started'));
  }

  /** The only time running jobs are looked through for a cancel: when one arrives. */
  private readonly onCancelMark = (mark: CancellationMark): void => {
    for (const job of this.active) {
      const ctx = job.ctx;
      if (ctx === undefined || ctx.aborted) continue;
      const hit =
        mark.jobId !== undefined ? ctx.jobId === mark.jobId : ctx.header(BatchIdHeader) === mark.batchId;
      if (!hit) continue;
      ctx.abort(new JobCancelledError('cancelled while running'));
      if (mark.jobId !== undefined) this.cancelMarks?.honour(mark.jobId);
    }
  };

  private invoke(job: ActiveJob, payload: unknown, ctx: JobContext): Promise<void> | undefined {
    const contract = job.consumer.contract;
    job.ctx = ctx;
    if (job.consumer.statuses !== undefined) this.recordStart(job, ctx);
    const started = performance.now();
    let result: unknown;
    try {
      result = job.consumer.handler.invoke(payload, ctx);
    } catch (error) {
      this.options.metrics.observeDuration(contract.subject, performance.now() - started);
      return this.fail(job, ctx, payload, asError(error));
    }
    if (!isPromiseLike(result) && !isObservable(result)) return this.succeed(job, ctx, started);
    return this.settle(job, ctx, payload, result, started);
  }

  /** Jobs of limited subjects start only once their key has a free start and slot, and is not paused. */
  private async admitThenInvoke(
    job: ActiveJob,
    admission: SubjectAdmission,
    payload: unknown,
  ): Promise<void> {
    const ctx = contextOf(job);
    ctx.limited = {
      deferredDeliveries: 0,
      paused: false,
      pause: (ms, reason) => admission.pause(payload, ms, reason),
    };
    let verdict;
    try {
      verdict = await admission.admit(payload, job.msg);
    } catch (error) {
      // The contract's key function threw on this payload: a failed attempt like any other.
      return this.fail(job, ctx, payload, asError(error));
    }
    ctx.limited.deferredDeliveries = verdict.deferredBefore;
    if (!verdict.admitted) return this.defer(job, ctx, verdict.delayMs, verdict.reason);
    job.release = verdict.release;
    // A cancel that arrived while the job waited for its admission: running jobs are aborted, this one is not
    // running yet. Its start was taken and stays spent, as a start the window already counted.
    const marks = this.cancelMarks;
    if (marks !== undefined && marks.any && marks.covers(job.msg)) {
      verdict.started?.();
      return this.dropCancelled(job, marks);
    }
    const outcome = this.invoke(job, payload, ctx);
    verdict.started?.();
    await outcome;
  }

  /**
   * Sends a job back to wait for its budget without spending an attempt: a delayed `nak` for short waits (the
   * delivery is recorded as a deferral and subtracted from the attempt), the outbox for long ones or once the
   * message has waited through its allowance of deliveries, so waiting jobs never fill `max_ack_pending`.
   */
  private async defer(
    job: ActiveJob,
    ctx: JobContext,
    delayMs: number,
    reason: ThrottleReason,
  ): Promise<void> {
    const { msg, consumer } = job;
    const limiter = this.rateLimiter!;
    limiter.countThrottled(consumer.subject, reason);
    const deferred = ctx.limited!.deferredDeliveries;
    const { delayedRetries } = this.options;
    const park = delayMs > limiter.settings.maxNakDelayMs || msg.info.deliveryCount >= DeferralAllowance;
    if (park && delayedRetries) {
      try {
        await delayedRetries.schedule({
          subject: msg.subject,
          data: msg.data,
          headers: { ...ctx.headers, [AttemptsSpentHeader]: String(ctx.attempt - 1) },
          deliverAt: new Date(Date.now() + delayMs),
        });
        msg.ack();
        return;
      } catch (error) {
        this.options.logger.error(
          { err: error, subject: msg.subject },
          'could not park a throttled job; it waits on nak',
        );
      }
    }
    await limiter.deferrals.record(consumer.durable, msg.seq, deferred + 1).catch((error: Error) => {
      this.options.logger.warn(
        { err: error, subject: msg.subject },
        'could not record a deferral; it may count as an attempt',
      );
    });
    msg.nak(Math.min(delayMs, limiter.settings.maxNakDelayMs));
  }

  private async settle(
    job: ActiveJob,
    ctx: JobContext,
    payload: unknown,
    result: unknown,
    started: number,
  ): Promise<void> {
    const { timeoutMs } = job.consumer.contract.options;
    try {
      if (isPromiseLike(result))
        result = timeoutMs ? await withTimeout(result, ctx, timeoutMs) : await result;
      if (isObservable(result)) await lastValueFrom(result, { defaultValue: undefined });
    } catch (error) {
      this.options.metrics.observeDuration(ctx.subject, performance.now() - started);
      await this.fail(job, ctx, payload, asError(error));
      return;
    }
    await this.succeed(job, ctx, started);
  }

  private succeed(
    job: ActiveJob,
    ctx: JobContext,
    started: number,
    batchCounted = false,
  ): Promise<void> | undefined {
    if (
      !batchCounted &&
      this.options.batches !== undefined &&
      headerValue(job.msg, BatchIdHeader) !== undefined
    ) {
      return this.countInBatch(job, ctx.jobId, 'completed').then((counted) => {
        if (counted) this.succeed(job, ctx, started, true);
      });
    }
    const { consumer, msg } = job;
    msg.ack();
    const durationMs = performance.now() - started;
    if (consumer.statuses !== undefined) this.recordCompleted(job, ctx.jobId, durationMs);
    if (ctx.limited !== undefined && ctx.limited.deferredDeliveries > 0) this.forgetDeferrals(job);
    this.options.metrics.count(consumer.subject, 'processed');
    this.options.metrics.observeDuration(consumer.subject, durationMs);
    this.releaseUniqueLock(job, ctx);
    if (this.debugLogs) this.logSuccess(ctx, durationMs);
    return undefined;
  }

  /**
   * A batch member's final state is stored before its message is acked, so a lost ack or a crash can only make
   * it count again as a duplicate (ignored). Returns false when it could not be stored: the message is then
   * handed back to be redelivered.
   */
  private async countInBatch(
    job: ActiveJob,
    jobId: string,
    state: FinalJobState,
    error?: string,
  ): Promise<boolean> {
    const batchId = headerValue(job.msg, BatchIdHeader);
    const batches = this.options.batches;
    if (!batchId || batches === undefined) return true;
    const member = { batchId, jobId, subject: job.consumer.subject, state, error };
    for (let attempt = 1; ; attempt++) {
      try {
        await batches.recordFinal(member);
        return true;
      } catch (failure) {
        if (attempt < 3) {
          await new Promise((resolve) => setTimeout(resolve, 250 * attempt));
          continue;
        }
        this.options.logger.error(
          { err: failure, subject: job.consumer.subject, jobId, batchId },
          'could not count a batch member; the job will be redelivered',
        );
        job.msg.nak(5_000);
        return false;
      }
    }
  }

  /** Id and attempt are read without decoding every header, which a tracked no-op job would pay for. */
  private recordStart(job: ActiveJob, ctx: JobContext): void {
    const { msg, consumer } = job;
    const now = Date.now();
    consumer.statuses!.recordStart({
      id: ctx.jobId,
      subject: consumer.subject,
      state: 'processing',
      at: now,
      attempt: ctx.attempt,
      startedAt: now,
      enqueuedAt: storedAtMsOf(msg),
    });
  }

  private recordState(
    job: ActiveJob,
    id: string,
    change: Omit<JobTransition, 'id' | 'subject' | 'at'>,
  ): void {
    job.consumer.statuses!.record({ id, subject: job.consumer.subject, at: Date.now(), ...change });
  }

  /** The common case, built field by field: a spread per job shows in a tracked no-op job's profile. */
  private recordCompleted(job: ActiveJob, id: string, durationMs: number): void {
    const now = Date.now();
    job.consumer.statuses!.record({
      id,
      subject: job.consumer.subject,
      at: now,
      state: 'completed',
      finishedAt: now,
      durationMs,
    });
  }

  private forgetDeferrals(job: ActiveJob): void {
    this.rateLimiter?.deferrals.forget(job.consumer.durable, job.msg.seq).catch(() => undefined);
  }

  /** Checked once: a per-job log call, even a disabled one, is measurable at 100k jobs/s. */
  private readonly debugLogs: boolean;

  private logSuccess(ctx: JobContext, durationMs: number): void {
    this.options.logger.debug(
      {
        subject: ctx.subject,
        jobId: ctx.jobId,
        attempt: ctx.attempt,
        durationMs,
        traceId: traceIdOf(ctx.traceparent),
      },
      'job done',
    );
  }

  private async fail(job: ActiveJob, ctx: JobContext, payload: unknown, error: Error): Promise<void> {
    const { consumer, msg } = job;
    const { subject, options } = consumer.contract;
    const { metrics, logger } = this.options;
    const log = { subject, jobId: ctx.jobId, attempt: ctx.attempt, traceId: traceIdOf(ctx.traceparent) };
    // Whatever a cancelled handler throws (an AbortError, the signal's reason), the job ends cancelled.
    const cancel = ctx.aborted ? ctx.signal.reason : undefined;
    if (cancel instanceof JobCancelledError && error !== cancel) return this.fail(job, ctx, payload, cancel);
    if (error instanceof ShutdownAbort) {
      msg.nak();
      return;
    }
    if (error instanceof RetryLaterError && ctx.limited?.paused) {
      // The handler paused its key (e.g. HTTP 429): this job waits with the others of the key, unspent.
      await this.defer(job, ctx, error.delayMs, 'paused');
      return;
    }
    if (error instanceof DiscardError) {
      if (!(await this.countInBatch(job, ctx.jobId, 'cancelled', error.message))) return;
      msg.ack();
      metrics.count(subject, 'discarded');
      if (consumer.statuses !== undefined)
        this.recordState(job, ctx.jobId, {
          state: 'cancelled',
          finishedAt: Date.now(),
          lastError: error.message,
        });
      logger.info({ ...log, reason: error.message }, 'job discarded');
      this.releaseUniqueLock(job, ctx);
      return;
    }
    metrics.count(subject, 'failed');
    const firstFailureAt = await this.firstFailureOf(job, ctx);
    if (error instanceof UnrecoverableError || ctx.attempt >= options.maxAttempts) {
      const reason = error instanceof UnrecoverableError ? 'unrecoverable' : 'exhausted';
      if (await this.deadLetter(job, reason, error, ctx.attempt, firstFailureAt))
        await this.runExhaustedHook(consumer, payload, error, ctx);
      return;
    }
    const delayMs =
      error instanceof RetryLaterError ? error.delayMs : retryDelayMs(options.backoff, ctx.attempt);
    logger.warn({ ...log, err: error, retryInMs: delayMs }, 'job failed, will retry');
    metrics.count(subject, 'retried');
    if (consumer.statuses !== undefined) {
      const now = Date.now();
      this.recordState(job, ctx.jobId, {
        state: 'retrying',
        attempt: ctx.attempt,
        finishedAt: now,
        nextAttemptAt: now + delayMs,
        lastError: error.message,
      });
    }
    // A RetryLaterError is a postponement, not a failed attempt: parked in the outbox it keeps its count.
    const attemptsSpent = error instanceof RetryLaterError ? ctx.attempt - 1 : ctx.attempt;
    await this.retryLater(msg, ctx, delayMs, attemptsSpent, firstFailureAt);
  }

  /** From the header of a retry parked in the outbox, else the shared record (created now if first). */
  private async firstFailureOf(job: ActiveJob, ctx: JobContext): Promise<string | undefined> {
    const carried = ctx.header(FirstFailureHeader);
    if (carried) return carried;
    const key = FirstFailures.key(job.consumer.durable, job.msg.seq);
    return this.firstFailures?.remember(key, new Date()).catch(() => undefined);
  }

  private async retryLater(
    msg: JsMsg,
    ctx: JobContext,
    delayMs: number,
    attemptsSpent: number,
    firstFailureAt: string | undefined,
  ): Promise<void> {
    const { delayedRetries, settings, logger } = this.options;
    if (!delayedRetries || delayMs <= settings.longRetryThresholdMs) {
      msg.nak(delayMs);
      return;
    }
    try {
      await delayedRetries.schedule({
        subject: msg.subject,
        data: msg.data,
        headers: {
          ...ctx.headers,
          [AttemptsSpentHeader]: String(attemptsSpent),
          ...(firstFailureAt ? { [FirstFailureHeader]: firstFailureAt } : {}),
        },
        deliverAt: new Date(Date.now() + delayMs),
      });
      msg.ack();
    } catch (error) {
      logger.error(
        { err: error, subject: msg.subject },
        'could not park a long retry; retrying sooner instead',
      );
      msg.nak(settings.longRetryThresholdMs);
    }
  }

  /** Returns whether the message is now safely in the DLQ (and acknowledged here). */
  private async deadLetter(
    job: ActiveJob,
    reason: DeadLetterReason,
    error: Error,
    attempt: number,
    firstFailureAt?: string,
  ): Promise<boolean> {
    const { consumer, msg } = job;
    const { logger, metrics } = this.options;
    try {
      await this.deadLetters.publish({
        subject: msg.subject,
        data: msg.data,
        headers: msg.headers,
        stream: msg.info.stream,
        streamSeq: msg.seq,
        consumer: consumer.durable,
        reason,
        error: { message: error.message, stack: error.stack },
        attempts: attempt,
        enqueuedAt: new Date(Math.floor(msg.info.timestampNanos / 1e6)),
        firstFailureAt,
      });
    } catch (publishError) {
      logger.error(
        { err: publishError, subject: msg.subject },
        'DLQ unavailable; the message will be redelivered',
      );
      msg.nak(5_000);
      return false;
    }
    const id = jobIdOf(msg);
    const state = reason === 'exhausted' ? 'dead' : 'failed';
    if (!(await this.countInBatch(job, id, state, error.message))) return false;
    msg.ack();
    metrics.count(consumer.subject, 'dead');
    if (consumer.statuses !== undefined)
      this.recordState(job, id, { state, attempt, finishedAt: Date.now(), lastError: error.message });
    logger.error(
      { subject: msg.subject, streamSeq: msg.seq, attempt, reason, err: error },
      'job moved to the DLQ',
    );
    if (job.ctx) this.releaseUniqueLock(job, job.ctx);
    return true;
  }

  private async runExhaustedHook(
    consumer: RuntimeConsumer,
    payload: unknown,
    error: Error,
    ctx: JobContext,
  ): Promise<void> {
    if (!consumer.handler.onExhausted) return;
    try {
      await consumer.handler.onExhausted(payload, error, ctx);
    } catch (hookError) {
      this.options.logger.error({ err: hookError, subject: consumer.subject }, 'onExhausted hook failed');
    }
  }

  private consumerConfigFor(contract: Contract) {
    const { app, settings } = this.options;
    const consumerSettings = {
      ackWaitMs: settings.ackWaitMs,
      // A subject's window of messages in hand must fit under its max_ack_pending.
      defaultMaxAckPending: Math.max(settings.defaultMaxAckPending, settings.pull.window),
    };
    if (!limitsOf(contract, this.options.rateLimits ?? DefaultRateLimitSettings))
      return consumerConfig(app, contract, consumerSettings);
    const options = { ...contract.options, maxAttempts: contract.options.maxAttempts + DeferralAllowance };
    return consumerConfig(app, { ...contract, options }, consumerSettings);
  }

  /** Only jobs of a contract with a uniqueness key carry a lock: others skip reading the header at all. */
  private releaseUniqueLock(job: ActiveJob, ctx: JobContext): void {
    if (!job.consumer.contract.options.unique) return;
    const lockKey = job.msg.headers?.get(UniqueLockHeader);
    if (!lockKey || !this.options.uniqueLocks) return;
    this.options.uniqueLocks.release(lockKey, ctx.jobId).catch((error: Error) => {
      this.options.logger.warn(
        { err: error, lockKey },
        'could not release a uniqueness lock; it will expire',
      );
    });
  }

  private readonly onConsumerProblem = (consumer: RuntimeConsumer, problem: string): void => {
    this.options.logger.warn(
      { subject: consumer.subject, consumer: consumer.durable, problem },
      'pull problem',
    );
    if (/consumer deleted|no responders|503/i.test(problem)) this.recreateConsumer(consumer);
  };

  private recreateConsumer(consumer: RuntimeConsumer): void {
    const { logger } = this.options;
    const config = this.consumerConfigFor(consumer.contract);
    ensureConsumer(this.jsm, consumer.stream, config).then(
      () => consumer.resetRequests(),
      (error: Error) =>
        logger.error({ err: error, consumer: consumer.durable }, 'could not recreate the consumer'),
    );
  }

  private watchConnection(): void {
    const { nc, logger } = this.options;
    void (async () => {
      for await (const status of nc.status()) {
        if (status.type === 'disconnect') {
          this.connected = false;
          logger.warn({ server: status.data }, 'NATS disconnected');
        } else if (status.type === 'reconnect') {
          this.connected = true;
          logger.info({ server: status.data }, 'NATS reconnected; renewing pull requests');
          for (const consumer of this.consumers) consumer.resetRequests();
        }
      }
    })();
  }

  private startTimers(): void {
    const { settings } = this.options;
    // Jobs running and messages waiting for a slot both hold an ack deadline: keep all of them alive.
    const keepAlive = setInterval(
      () => {
        for (const job of this.active) job.msg.working();
        for (const consumer of this.consumers) for (const msg of consumer.buffer) msg.working();
      },
      Math.floor(settings.ackWaitMs / 3),
    );
    const liveness = setInterval(() => {
      const now = Date.now();
      for (const consumer of this.consumers) consumer.checkLiveness(now);
    }, 1000);
    const heartbeat = setInterval(() => void this.publishHeartbeat(), settings.workerHeartbeatMs);
    for (const timer of [keepAlive, liveness, heartbeat]) {
      timer.unref();
      this.timers.push(timer);
    }
  }

  private async publishHeartbeat(): Promise<void> {
    const now = Date.now();
    const jobs = [...this.active]
      .sort((a, b) => a.startedAt - b.startedAt)
      .slice(0, 20)
      .map((job) => ({
        subject: job.consumer.subject,
        jobId: job.ctx?.jobId,
        runningForMs: now - job.startedAt,
      }));
    const beat = {
      app: this.options.app,
      host: hostname(),
      pid: process.pid,
      version: this.options.version,
      slots: this.options.settings.slots,
      inFlight: this.running,
      waiting: this.buffered,
      startedAt: this.startedAt.toISOString(),
      beatAt: new Date(now).toISOString(),
      jobs,
      // Cumulative since the process started: the dashboard charts the per-minute differences.
      totals: this.options.metrics.snapshot(),
    };
    await this.workersKv?.put(this.workerKey, JSON.stringify(beat)).catch(() => undefined);
  }

  private async pendingBySubject(): Promise<Record<string, number>> {
    const result: Record<string, number> = {};
    for (const consumer of this.consumers) {
      const info = await this.jsm.consumers.info(consumer.stream, consumer.durable);
      result[consumer.subject] = info.num_pending;
    }
    return result;
  }
}

/** Startup refuses a service whose handlers and contracts disagree, naming every mismatch. */
export function assertHandlersMatchContracts(
  app: string,
  contracts: ContractMap,
  handlers: ReadonlyMap<string, readonly JobHandler[]>,
): Contract[] {
  const expected = subjectsHandledBy(contracts, app);
  const problems: string[] = [];
  for (const contract of expected) {
    const found = handlers.get(contract.subject) ?? [];
    if (found.length === 0) problems.push(`${contract.subject} has no handler in ${app}`);
    if (found.length > 1) {
      problems.push(
        `${contract.subject} has ${found.length} handlers: ${found.map((h) => h.location).join(', ')}`,
      );
    }
  }
  for (const [subject, found] of handlers) {
    const contract = contracts[subject];
    const where = found.map((h) => h.location).join(', ');
    if (!contract) problems.push(`${where} handles ${subject}, which has no contract`);
    else if (!expected.includes(contract)) {
      const owner =
        contract.kind === 'job' ? `service ${contract.service}` : `consumers [${contract.consumers}]`;
      problems.push(`${where} handles ${subject}, but its contract names ${owner}, not ${app}`);
    }
  }
  if (problems.length > 0) throw new Error(`${app} cannot start:\n  - ${problems.join('\n  - ')}`);
  return expected;
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}

async function withTimeout(
  result: PromiseLike<unknown>,
  ctx: JobContext,
  timeoutMs: number,
): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const aborted = new Promise<never>((_, reject) => {
    timer = setTimeout(() => ctx.abort(new JobTimeoutError(timeoutMs)), timeoutMs);
    ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true });
  });
  try {
    return await Promise.race([result, aborted]);
  } finally {
    clearTimeout(timer);
  }
}

function asError(error: unknown): Error {
  return error instanceof Error
    ? error
    : new Error(typeof error === 'string' ? error : JSON.stringify(error));
}

function contextOf(job: ActiveJob): JobContext {
  const { msg, consumer } = job;
  return new JobContext(msg, consumer.subject, consumer.durable, consumer.contract.options.maxAttempts);
}
