import { connect, headers as natsHeaders, type JsMsg, type NatsConnection } from 'nats';
import { AttemptsSpentHeader, BatchIdHeader, CloudEventHeaders } from '@lib/contracts';
import { startNatsServer, type NatsServerHandle } from '@lib/testing';
import {
  deliveryAttemptOf,
  deliveryCountOf,
  envelopeHeaders,
  headerValue,
  jobIdOf,
  JobContext,
  newJobId,
  PrerequisitesHeader,
  storedAtMsOf,
} from '@lib/jetstream';

const Stream = 'ENVELOPEKIT';
const Subject = 'envelopekit.job';

/** Header blocks a delivery can carry, each checked against what nats.js's full decode answers. */
function variants(): { name: string; headers?: ReturnType<typeof natsHeaders>; body: string }[] {
  const ours = envelopeHeaders({ subject: Subject, source: 'urn:test' }).headers;
  const retried = envelopeHeaders({ subject: Subject, source: 'urn:test' }).headers;
  retried.set(AttemptsSpentHeader, '3');
  const twice = natsHeaders();
  twice.append(CloudEventHeaders.id, 'first');
  twice.append(CloudEventHeaders.id, 'second');
  const padded = natsHeaders();
  padded.set(CloudEventHeaders.id, '  spaced-id  ');
  const otherCase = natsHeaders();
  otherCase.set('Ce-Id', 'wrong-case');
  const prefixed = natsHeaders();
  prefixed.set('x-ce-id', 'not-the-id');
  const empty = natsHeaders();
  empty.set(CloudEventHeaders.id, '');
  const member = envelopeHeaders({ subject: Subject, source: 'urn:test' }).headers;
  member.set(BatchIdHeader, 'batch-1');
  member.set(PrerequisitesHeader, 'job-a,job-b');
  const lookalike = envelopeHeaders({ subject: Subject, source: 'urn:test' }).headers;
  lookalike.set('X-Job-Batch-Id', 'not-a-batch');
  return [
    { name: 'our envelope', headers: ours, body: '{}' },
    { name: 'a retry through the outbox', headers: retried, body: '{}' },
    { name: 'the id twice', headers: twice, body: '{}' },
    { name: 'an id with spaces around it', headers: padded, body: '{}' },
    { name: 'another spelling of the name', headers: otherCase, body: '{}' },
    { name: 'a name ending like it', headers: prefixed, body: '\r\nce-id: from-the-body\r\n' },
    { name: 'an empty id', headers: empty, body: '{}' },
    { name: 'no headers, the name in the body', body: 'NATS/1.0\r\nce-id: from-the-body\r\n' },
    { name: 'a batch member waiting for two jobs', headers: member, body: '{}' },
    {
      name: 'a Job- header only in the body or inside a name',
      headers: lookalike,
      body: '\r\nJob-Batch-Id: from-the-body\r\n',
    },
  ];
}

describe('reading headers without decoding the block', () => {
  let nats: NatsServerHandle;
  let nc: NatsConnection;

  beforeAll(async () => {
    nats = await startNatsServer();
    nc = await connect({ servers: nats.url });
    const jsm = await nc.jetstreamManager();
    await jsm.streams.add({ name: Stream, subjects: [`${Subject}`] });
  });

  afterAll(async () => {
    await nc?.close();
    await nats?.stop();
  });

  it('answers what msg.headers.get and JobContext answer, for every header block', async () => {
    const cases = variants();
    const js = nc.jetstream();
    for (const c of cases) await js.publish(Subject, c.body, { headers: c.headers });
    const consumer = await js.consumers.get(Stream);
    const messages: JsMsg[] = [];
    const batch = await consumer.fetch({ max_messages: cases.length, expires: 5000 });
    for await (const msg of batch) messages.push(msg);
    expect(messages).toHaveLength(cases.length);

    const names = [
      CloudEventHeaders.id,
      AttemptsSpentHeader,
      BatchIdHeader,
      PrerequisitesHeader,
      CloudEventHeaders.type,
      'traceparent',
      'absent',
    ];
    for (const [index, msg] of messages.entries()) {
      const fast = {
        name: cases[index].name,
        values: names.map((name) => headerValue(msg, name)),
        jobId: jobIdOf(msg),
        attempt: deliveryAttemptOf(msg),
        delivered: deliveryCountOf(msg),
        storedAt: storedAtMsOf(msg),
      };
      // The job context reads through the same fast path, before anything decodes the block.
      const ctx = new JobContext(msg, Subject, 'envelopekit', 5);
      expect({ jobId: ctx.jobId, attempt: ctx.attempt }).toEqual({
        jobId: fast.jobId,
        attempt: fast.attempt,
      });
      // The full decode happens only now, after the fast reads, as a handler reading `ctx.headers` would.
      const spent = Number.parseInt(msg.headers?.get(AttemptsSpentHeader) || '0', 10);
      const decoded = {
        name: cases[index].name,
        values: names.map((name) => msg.headers?.get(name) || undefined),
        jobId: msg.headers?.get(CloudEventHeaders.id) || `${Stream}:${msg.seq}`,
        attempt: msg.info.deliveryCount + (Number.isFinite(spent) && spent > 0 ? spent : 0),
        delivered: msg.info.deliveryCount,
        storedAt: Math.floor(msg.info.timestampNanos / 1e6),
      };
      expect(fast).toEqual(decoded);
      // Once decoded, the decoded headers answer.
      expect(jobIdOf(msg)).toBe(decoded.jobId);
    }
    expect(jobIdOf(messages[2])).toBe('first');
    expect(jobIdOf(messages[3])).toBe('spaced-id');
    expect(jobIdOf(messages[7])).toBe(`${Stream}:8`);
    expect(deliveryAttemptOf(messages[1])).toBe(4);
    expect(headerValue(messages[8], BatchIdHeader)).toBe('batch-1');
    expect(headerValue(messages[8], PrerequisitesHeader)).toBe('job-a,job-b');
    for (const msg of messages) msg.ack();
  });
});

describe('reading the ack subject without msg.info', () => {
  const delivery = (reply: string) =>
    ({ reply, info: { deliveryCount: -1, timestampNanos: -1e6 } }) as unknown as JsMsg;

  it('reads the delivery count and the stored time from each form of ack subject nats.js accepts', () => {
    const forms = [
      '$JS.ACK.JOBS.notifier__jobs_x.3.41.17.1763990000123456789.0',
      '$JS.ACK.hub.ACCOUNTHASH.JOBS.notifier__jobs_x.3.41.17.1763990000123456789.0',
      '$JS.ACK.hub.ACCOUNTHASH.JOBS.notifier__jobs_x.3.41.17.1763990000123456789.0.r4nd0m',
    ];
    for (const reply of forms)
      expect([deliveryCountOf(delivery(reply)), storedAtMsOf(delivery(reply))]).toEqual([3, 1763990000123]);
  });

  it("leaves any other subject to nats.js's own reading", () => {
    for (const reply of ['$JS.ACK.too.short', 'inbox.a.b.c.d.e.f.g.h', '$JS.ACK.S.C.x.41.17.nanos.0'])
      expect([deliveryCountOf(delivery(reply)), storedAtMsOf(delivery(reply))]).toEqual([-1, -1]);
  });
});

describe('newJobId', () => {
  it('is a version 7 UUID whose first 48 bits are the time in milliseconds', () => {
    const at = Date.UTC(2026, 10, 24, 12, 0, 0, 123);
    const id = newJobId(at);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(at);
  });

  it('sorts by time and does not repeat', () => {
    const ids = Array.from({ length: 5000 }, (_, n) => newJobId(1_800_000_000_000 + Math.floor(n / 10)));
    expect(new Set(ids).size).toBe(ids.length);
    const byTime = [...ids].sort();
    for (let n = 10; n < ids.length; n += 10) expect(byTime[n].slice(0, 13)).toBe(ids[n].slice(0, 13));
  });
});
