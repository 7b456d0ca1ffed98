import { randomBytes } from 'node:crypto';
import { connect, headers as natsHeaders, type NatsConnection } from 'nats';
import { Contracts, DeadLetterHeaders, type Contract } from '@lib/contracts';
import type { RunningService } from '@lib/jetstream';
import {
  createMigratedTestDatabase,
  startNatsServer,
  startServiceUnderTest,
  waitFor,
  type NatsServerHandle,
  type TestDatabase,
} from '@lib/testing';
import { JanitorConfigSchema } from '../../apps/janitor/src/config';
import { JanitorModule } from '../../apps/janitor/src/janitor.module';
import { PollerConfigSchema } from '../../apps/poller/src/config';
import { PollerModule } from '../../apps/poller/src/poller.module';

const services = [
  { name: 'poller', module: PollerModule, configSchema: PollerConfigSchema },
  { name: 'janitor', module: JanitorModule, configSchema: JanitorConfigSchema },
];

/** Bodies no contract accepts: not JSON, not an object, every field the wrong type, or huge and wrong. */
function malformedBodies(contract: Contract): { label: string; body: Uint8Array }[] {
  const keys = Object.keys((contract.schema as unknown as { shape?: Record<string, unknown> }).shape ?? {});
  const candidates: { label: string; body: Uint8Array | string }[] = [
    { label: 'random bytes', body: randomBytes(64) },
    { label: 'truncated JSON', body: '{"pollId": 1' },
    { label: 'null', body: 'null' },
    { label: 'array', body: '[1,2,3]' },
    { label: 'string', body: '"close them all"' },
    { label: 'number', body: '42' },
    { label: 'empty', body: '' },
    {
      label: 'wrong types',
      body: JSON.stringify(Object.fromEntries(keys.map((key) => [key, [{ nested: true }]]))),
    },
    {
      // Just under the server's 1 MB max_payload.
      label: 'huge and wrong',
      body: JSON.stringify(
        keys.length > 0
          ? Object.fromEntries(keys.map((key) => [key, 'x'.repeat(Math.floor(900_000 / keys.length))]))
          : ['x'.repeat(900_000)],
      ),
    },
  ];
  const encoder = new TextEncoder();
  return candidates
    .map(({ label, body }) => ({ label, body: typeof body === 'string' ? encoder.encode(body) : body }))
    .filter(({ body }) => {
      // Keep the test honest: only bodies the contract really refuses.
      try {
        return !contract.schema.safeParse(JSON.parse(new TextDecoder().decode(body))).success;
      } catch {
        return true;
      }
    });
}

describe('fuzzed payloads on every consumed contract subject', () => {
  let nats: NatsServerHandle;
  let database: TestDatabase;
  let client: NatsConnection;
  const running: RunningService[] = [];

  beforeAll(async () => {
    [nats, database] = await Promise.all([startNatsServer(), createMigratedTestDatabase()]);
    for (const service of services) {
      running.push(await startServiceUnderTest({ ...service, natsUrl: nats.url, databaseUrl: database.url }));
    }
    client = await connect({ servers: nats.url });
  });

  afterAll(async () => {
    for (const service of running) await service.stop();
    await client?.close();
    await nats?.cleanup();
    await database?.drop();
  });

  it('sends each malformed message to the DLQ on its first delivery, with the reason, and nothing crashes', async () => {
    const consumed = Object.values(Contracts).filter((contract) =>
      services.some((s) =>
        contract.kind === 'job' ? contract.service === s.name : contract.consumers.includes(s.name),
      ),
    );
    expect(consumed.length).toBeGreaterThan(3);
    const js = client.jetstream();
    const expected = new Map<string, string>();
    for (const contract of consumed) {
      for (const { label, body } of malformedBodies(contract)) {
        // Half of them without any header at all, as a foreign publisher might send them.
        const headers = expected.size % 2 === 0 ? undefined : natsHeaders();
        headers?.set('ce-type', contract.subject);
        const ack = await js.publish(contract.subject, body, { headers });
        expected.set(`${ack.stream}:${ack.seq}`, `${contract.subject} (${label})`);
      }
    }
    const jsm = await client.jetstreamManager();
    const letters = await waitFor(
      async () => {
        const info = await jsm.streams.info('DLQ');
        if (info.state.messages < expected.size) return null;
        const found = [];
        for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
          found.push(await jsm.streams.getMessage('DLQ', { seq }));
        }
        return found;
      },
      { timeoutMs: 30_000, description: `${expected.size} dead letters` },
    );
    const seen = new Set<string>();
    for (const letter of letters) {
      const key = `${letter.header.get(DeadLetterHeaders.stream)}:${letter.header.get(DeadLetterHeaders.streamSeq)}`;
      expect(expected.has(key)).toBe(true);
      expect(letter.header.get(DeadLetterHeaders.reason)).toBe('invalid-payload');
      expect(letter.header.get(DeadLetterHeaders.attempts)).toBe('1');
      expect(letter.header.get(DeadLetterHeaders.error)).toBeTruthy();
      seen.add(key);
    }
    expect([...expected.keys()].filter((key) => !seen.has(key)).map((key) => expected.get(key))).toEqual([]);
    for (const service of running) {
      expect((await fetch(`${service.httpUrl}/health/ready`)).status).toBe(200);
    }
  }, 60_000);
});
