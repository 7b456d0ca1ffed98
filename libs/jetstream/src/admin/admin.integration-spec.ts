import {
  AckPolicy,
  connect,
  nanos,
  type JetStreamClient,
  type JetStreamManager,
  type NatsConnection,
} from 'nats';
import { z } from 'zod';
import { AttemptsSpentHeader, CloudEventHeaders, contractMap, defineJob, MsgIdHeader } from '@lib/contracts';
import { startNatsServer, type NatsServerHandle } from '@lib/testing';
import { DeadLetters } from '../dead-letters';
import { envelopeHeaders } from '../envelope';
import { DuplicateJobError } from '../errors';
import { durableName, KvBuckets } from '../names';
import { DefaultStreamSettings, ensureStreams } from '../provisioning';
import { JetStreamPublisher } from '../publisher';
import { UniqueJobLocks } from '../unique-job-locks';
import {
  DeadLetterAdmin,
  DeadLetterNotFoundError,
  JobAdmin,
  JobInFlightError,
  JobNotQueuedError,
  StreamAdmin,
  StreamNotFoundError,
} from '.';

const NoSuchSeq = 999_999;

describe('JetStream admin operations against a private nats-server', () => {
  let server: NatsServerHandle;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let js: JetStreamClient;
  let dlq: DeadLetterAdmin;
  let failedStreamSeq = 1;

  beforeAll(async () => {
    server = await startNatsServer();
    nc = await connect({ servers: server.url });
    jsm = await nc.jetstreamManager();
    js = nc.jetstream();
    await ensureStreams(jsm, DefaultStreamSettings);
    dlq = new DeadLetterAdmin(jsm);
  });

  afterAll(async () => {
    await nc?.close();
    await server?.cleanup();
  });

  beforeEach(async () => {
    for (const stream of ['EVENTS', 'JOBS', 'DLQ']) await jsm.streams.purge(stream);
  });

  /** Dead-letters a message the way the worker runtime does, returning its DLQ sequence and event id. */
  async function putDeadLetter(
    subject: string,
    body: unknown,
  ): Promise<{ seq: number; id: string; data: Uint8Array }> {
    const { id, headers } = envelopeHeaders({ subject, source: 'urn:test' });
    headers.set(AttemptsSpentHeader, '3');
    const data = body instanceof Uint8Array ? body : Buffer.from(JSON.stringify(body));
    await new DeadLetters(js, 'notifier').publish({
      subject,
      data,
      headers,
      stream: 'JOBS',
      streamSeq: failedStreamSeq++,
      consumer: durableName('notifier', subject),
      reason: 'exhausted',
      error: { message: 'smtp said no', stack: 'Error: smtp said no\n    at send (mailer.ts:1:1)' },
      attempts: 25,
    });
    const stored = await jsm.streams.getMessage('DLQ', { last_by_subj: `dlq.${subject}` });
    return { seq: stored.seq, id, data };
  }

  async function enqueueJob(subject: string, body: unknown): Promise<{ seq: number; id: string }> {
    const { id, headers } = envelopeHeaders({ subject, source: 'urn:test' });
    const ack = await js.publish(subject, JSON.stringify(body), { msgID: id, headers });
    return { seq: ack.seq, id };
  }

  describe('DeadLetterAdmin', () => {
    it('lists summaries page by page, filtered by the original subject', async () => {
      const first = await putDeadLetter('jobs.notifier.send-digest', { userId: 1 });
      const other = await putDeadLetter('jobs.exporter.build-export', { groupId: 2 });
      const third = await putDeadLetter('jobs.notifier.send-digest', { userId: 3 });

      const all = await dlq.list();
      expect(all.letters.map((l) => l.seq)).toEqual([first.seq, other.seq, third.seq]);
      expect(all.nextSeq).toBeNull();
      expect(all.letters[0]).toEqual({
        seq: first.seq,
        subject: 'jobs.notifier.send-digest',
        id: first.id,
        reason: 'exhausted',
        error: 'smtp said no',
        attempts: 25,
        service: 'notifier',
        consumer: 'notifier__jobs_notifier_send-digest',
        failedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        size: first.data.length,
      });

      const notifier = await dlq.list({ subject: 'jobs.notifier.*' });
      expect(notifier.letters.map((l) => l.seq)).toEqual([first.seq, third.seq]);

      const page1 = await dlq.list({ limit: 2 });
      expect(page1.letters.map((l) => l.seq)).toEqual([first.seq, other.seq]);
      expect(page1.nextSeq).toBe(other.seq + 1);
      const page2 = await dlq.list({ limit: 2, fromSeq: page1.nextSeq! });
      expect(page2).toEqual({ letters: [expect.objectContaining({ seq: third.seq })], nextSeq: null });

      expect(await dlq.list({ subject: 'jobs.nobody.nothing' })).toEqual({ letters: [], nextSeq: null });
      expect(await dlq.count()).toBe(3);
      expect(await dlq.count({ subject: 'jobs.exporter.build-export' })).toBe(1);
      // The scan consumers are cleaned up rather than left to pile up in consumer listings.
      expect(await new StreamAdmin(jsm).consumers('DLQ')).toEqual([]);
    });

    it('inspects every header and the body, as JSON or else as base64', async () => {
      const letter = await putDeadLetter('jobs.notifier.send-digest', { userId: 1 });
      const binary = await putDeadLetter('jobs.notifier.send-digest', Uint8Array.from([0xff, 0x00]));

      const detail = await dlq.inspect(letter.seq);
      expect(detail).toMatchObject({
        seq: letter.seq,
        subject: 'jobs.notifier.send-digest',
        reason: 'exhausted',
      });
      expect(detail.deadLetterSubject).toBe('dlq.jobs.notifier.send-digest');
      expect(detail.headers[CloudEventHeaders.id]).toEqual([letter.id]);
      expect(detail.headers['Dlq-Stack']).toEqual(['Error: smtp said no\\n    at send (mailer.ts:1:1)']);
      expect(detail.body).toEqual({ encoding: 'json', value: { userId: 1 } });
      expect((await dlq.inspect(binary.seq)).body).toEqual({ encoding: 'base64', value: '/wA=' });

      await expect(dlq.inspect(NoSuchSeq)).rejects.toThrow(DeadLetterNotFoundError);
    });

    it('retries with the original envelope and subject, then deletes the dead letter', async () => {
      const letter = await putDeadLetter('jobs.notifier.send-digest', { userId: 7 });

      const result = await dlq.retry(letter.seq);

      expect(result).toMatchObject({ seq: letter.seq, subject: 'jobs.notifier.send-digest', stream: 'JOBS' });
      expect(result).toMatchObject({ msgId: `${letter.id}:retry:${letter.seq}`, duplicate: false });
      const requeued = await jsm.streams.getMessage('JOBS', { seq: result.streamSeq });
      expect(requeued.subject).toBe('jobs.notifier.send-digest');
      expect(requeued.json()).toEqual({ userId: 7 });
      expect(requeued.header.get(CloudEventHeaders.id)).toBe(letter.id);
      expect(requeued.header.get(MsgIdHeader)).toBe(result.msgId);
      expect(requeued.header.has(AttemptsSpentHeader)).toBe(false);
      expect(requeued.header.keys().filter((name) => name.startsWith('Dlq-'))).toEqual([]);
      await expect(dlq.inspect(letter.seq)).rejects.toThrow(DeadLetterNotFoundError);
      await expect(dlq.retry(letter.seq)).rejects.toThrow(DeadLetterNotFoundError);
    });

    it('keeps the dead letter when republishing fails', async () => {
      // No stream takes `orphans.*`, so the publish gets no acknowledgement.
      const orphan = await putDeadLetter('orphans.nowhere', { lost: true });

      await expect(dlq.retry(orphan.seq)).rejects.toThrow();

      expect((await dlq.inspect(orphan.seq)).body).toEqual({ encoding: 'json', value: { lost: true } });
    });

    it('retries all matching dead letters across pages and reports those that failed', async () => {
      const digests = [];
      for (let i = 0; i < 210; i++)
        digests.push(await putDeadLetter('jobs.notifier.send-digest', { userId: i }));
      const exportLetter = await putDeadLetter('jobs.exporter.build-export', { groupId: 1 });
      const orphan = await putDeadLetter('orphans.nowhere', { lost: true });

      expect(await dlq.retryAll({ subject: 'jobs.notifier.send-digest' })).toEqual({
        retried: 210,
        failures: [],
      });
      expect((await jsm.streams.info('JOBS')).state.messages).toBe(210);
      expect((await dlq.list()).letters.map((l) => l.seq)).toEqual([exportLetter.seq, orphan.seq]);

      const rest = await dlq.retryAll();
      expect(rest.retried).toBe(1);
      expect(rest.failures).toEqual([
        { seq: orphan.seq, subject: 'orphans.nowhere', error: expect.any(String) },
      ]);
      expect((await dlq.list()).letters.map((l) => l.seq)).toEqual([orphan.seq]);
    });

    it('deletes one dead letter and purges by subject', async () => {
      const doomed = await putDeadLetter('jobs.notifier.send-digest', { userId: 1 });
      await putDeadLetter('jobs.notifier.send-digest', { userId: 2 });
      await putDeadLetter('jobs.notifier.send-reminder', { userId: 3 });
      await putDeadLetter('jobs.exporter.build-export', { groupId: 4 });

      await dlq.delete(doomed.seq);
      await expect(dlq.inspect(doomed.seq)).rejects.toThrow(DeadLetterNotFoundError);
      await expect(dlq.delete(doomed.seq)).rejects.toThrow(DeadLetterNotFoundError);
      await expect(dlq.delete(NoSuchSeq)).rejects.toThrow(DeadLetterNotFoundError);

      expect(await dlq.purge({ subject: 'jobs.notifier.*' })).toBe(2);
      expect((await dlq.list()).letters.map((l) => l.subject)).toEqual(['jobs.exporter.build-export']);
      expect(await dlq.purge()).toBe(1);
      expect(await dlq.count()).toBe(0);
    });
  });

  describe('StreamAdmin', () => {
    it('lists streams and consumers with their backlog and limits', async () => {
      const admin = new StreamAdmin(jsm);
      const subject = 'jobs.poller.check-polls';
      const durable = durableName('poller', subject);
      await jsm.consumers.add('JOBS', {
        durable_name: durable,
        filter_subject: subject,
        ack_policy: AckPolicy.Explicit,
        ack_wait: nanos(30_000),
        max_deliver: 5,
        max_ack_pending: 3,
      });
      await enqueueJob(subject, { n: 1 });
      const second = await enqueueJob(subject, { n: 2 });

      const streams = await admin.streams();
      expect(streams.map((s) => s.name)).toEqual(expect.arrayContaining(['DLQ', 'EVENTS', 'JOBS']));
      expect(streams.find((s) => s.name === 'JOBS')).toMatchObject({
        subjects: ['jobs.>'],
        retention: 'workqueue',
        messages: 2,
        lastSeq: second.seq,
        consumers: 1,
      });
      expect(streams.find((s) => s.name === 'DLQ')).toMatchObject({
        subjects: ['dlq.>'],
        retention: 'limits',
      });

      const consumer = await js.consumers.get('JOBS', durable);
      const inFlight = await consumer.next({ expires: 2_000 });
      expect(inFlight).not.toBeNull();

      expect(await admin.consumers('JOBS')).toEqual([
        {
          stream: 'JOBS',
          name: durable,
          filterSubject: subject,
          pending: 1,
          inFlight: 1,
          redelivered: 0,
          waiting: 0,
          maxDeliver: 5,
          maxAckPending: 3,
          ackWaitMs: 30_000,
        },
      ]);
      expect((await admin.consumers()).map((c) => c.name)).toContain(durable);
      await expect(admin.consumers('NOPE')).rejects.toThrow(StreamNotFoundError);
      await jsm.consumers.delete('JOBS', durable);
    });
  });

  describe('JobAdmin', () => {
    it('cancels a queued job and explains why an unknown one cannot be cancelled', async () => {
      const jobs = new JobAdmin(jsm);
      const job = await enqueueJob('jobs.janitor.sweep-exports', { olderThanDays: 30 });

      const cancelled = await jobs.cancel(job.seq);

      expect(cancelled).toMatchObject({ seq: job.seq, subject: 'jobs.janitor.sweep-exports', id: job.id });
      expect((await jsm.streams.info('JOBS')).state.messages).toBe(0);
      await expect(jobs.cancel(job.seq)).rejects.toThrow(JobNotQueuedError);
      await expect(jobs.cancel(NoSuchSeq)).rejects.toThrow(
        /Job 999999 is not queued in JOBS: it has already run/,
      );
    });

    it('refuses a job a worker holds unless forced', async () => {
      const jobs = new JobAdmin(jsm);
      const subject = 'jobs.janitor.vacuum';
      const durable = durableName('janitor', subject);
      await jsm.consumers.add('JOBS', {
        durable_name: durable,
        filter_subject: subject,
        ack_policy: AckPolicy.Explicit,
      });
      const job = await enqueueJob(subject, {});
      expect(await (await js.consumers.get('JOBS', durable)).next({ expires: 2_000 })).not.toBeNull();

      await expect(jobs.cancel(job.seq)).rejects.toThrow(JobInFlightError);
      await expect(jobs.cancel(job.seq)).rejects.toThrow(durable);

      expect(await jobs.cancel(job.seq, { force: true })).toMatchObject({ seq: job.seq });
      await jsm.consumers.delete('JOBS', durable);
    });

    it("releases a cancelled job's uniqueness lock so that it can be enqueued again", async () => {
      const contracts = contractMap(
        defineJob({
          subject: 'jobs.exporter.build-archive',
          description: 'test job with a uniqueness key',
          schema: z.object({ groupId: z.number() }),
          options: { unique: { key: (p) => String(p.groupId), ttlMs: 60_000, onConflict: 'reject' } },
        }),
      );
      const locks = new UniqueJobLocks(await js.views.kv(KvBuckets.uniqueJobs, { history: 1 }));
      const publisher = new JetStreamPublisher(js, contracts, 'urn:test', locks);
      const first = await publisher.publish('jobs.exporter.build-archive', { groupId: 9 });
      await expect(publisher.publish('jobs.exporter.build-archive', { groupId: 9 })).rejects.toThrow(
        DuplicateJobError,
      );

      expect(await new JobAdmin(jsm).cancel(first.seq)).toMatchObject({ releasedUniqueLock: true });

      expect(await publisher.publish('jobs.exporter.build-archive', { groupId: 9 })).toMatchObject({
        dropped: false,
      });
    });
  });
});
