import { join } from 'node:path';
import { connect, type NatsConnection } from 'nats';
import {
  createMigratedTestDatabase,
  sleep,
  spawnScript,
  startNatsServer,
  waitFor,
  type NatsServerHandle,
  type ScriptProcess,
  type TestDatabase,
} from '@lib/testing';
import { FastCronTable } from './fixtures/fast-scheduler';

type Scheduler = ScriptProcess;

interface Fire {
  entry: string;
  slot: string;
  id: string;
}

/*
 * Two scheduler processes share the cron table. One is SIGKILLed and restarted, then both are SIGKILLed and
 * restarted together. Every publish is counted on the wire (a core subscription sees even those the stream
 * would drop as duplicates) and in the JOBS stream: each slot fires once, the missed ones once in all.
 */
describe('two schedulers, a crash and a restart', () => {
  let nats: NatsServerHandle;
  let database: TestDatabase;
  let client: NatsConnection;
  const onTheWire: Fire[] = [];
  const running: Scheduler[] = [];

  beforeAll(async () => {
    [nats, database] = await Promise.all([startNatsServer(), createMigratedTestDatabase()]);
    client = await connect({ servers: nats.url });
    client.subscribe('jobs.>', {
      callback: (_, msg) => {
        const id = msg.headers?.get('Nats-Msg-Id') ?? '';
        const match = /^cron:([a-z-]+):(.+)$/.exec(id);
        if (match) onTheWire.push({ entry: match[1], slot: match[2], id });
      },
    });
    await client.flush();
  });

  afterAll(async () => {
    for (const scheduler of running) scheduler.child.kill('SIGKILL');
    await Promise.all(running.map((s) => s.exited));
    await client?.close();
    await nats?.cleanup();
    await database?.drop();
  });

  function spawnScheduler(): Scheduler {
    const scheduler = spawnScript(
      join(__dirname, 'fixtures/fast-scheduler.ts'),
      { natsUrl: nats.url, databaseUrl: database.url },
      { LOG_LEVEL: 'info' },
    );
    running.push(scheduler);
    return scheduler;
  }

  /** Ready once it published (or lost the race for) a slot: its cron loop is running. */
  async function ready(...schedulers: Scheduler[]): Promise<void> {
    await waitFor(
      () => {
        for (const s of schedulers)
          if (s.child.exitCode !== null) throw new Error(`scheduler exited early: ${s.output()}`);
        return schedulers.every((s) => s.output().includes('consuming 0 subject(s)'));
      },
      // ts-node compiles the app graph first: on a loaded machine that alone takes tens of seconds.
      { timeoutMs: 120_000, intervalMs: 200, description: 'schedulers ready' },
    );
  }

  async function kill(scheduler: Scheduler): Promise<void> {
    scheduler.child.kill('SIGKILL');
    await scheduler.exited;
    running.splice(running.indexOf(scheduler), 1);
  }

  const firesOf = (entry: string, fires: Fire[]) => fires.filter((f) => f.entry === entry).map((f) => f.slot);
  const newestSlot = (entry: string) => firesOf(entry, onTheWire).sort().at(-1);

  async function storedFires(): Promise<Fire[]> {
    const jsm = await client.jetstreamManager();
    const { state } = await jsm.streams.info('JOBS');
    const fires: Fire[] = [];
    for (let seq = state.first_seq; seq <= state.last_seq; seq++) {
      const stored = await jsm.streams.getMessage('JOBS', { seq });
      const match = /^cron:([a-z-]+):(.+)$/.exec(stored.header.get('Nats-Msg-Id'));
      if (match) fires.push({ entry: match[1], slot: match[2], id: match[0] });
    }
    return fires;
  }

  it('fires every slot at most once, and a missed stretch once, through a crash and a full restart', async () => {
    const [a, b] = [spawnScheduler(), spawnScheduler()];
    await ready(a, b);
    await waitFor(() => firesOf('every-second', onTheWire).length >= 4, { timeoutMs: 30_000 });

    // One replica crashes: the other carries on; the crashed one comes back.
    await kill(a);
    await sleep(2_500);
    const restarted = spawnScheduler();
    await ready(restarted);
    const afterRestart = onTheWire.length;
    await waitFor(() => onTheWire.length >= afterRestart + 4, { timeoutMs: 30_000 });

    // Both crash: the slots of the outage are missed; the two restarted replicas race to catch up.
    await Promise.all([kill(b), kill(restarted)]);
    await client.flush();
    await sleep(200);
    const beforeOutage = Object.fromEntries(FastCronTable.map((e) => [e.name, newestSlot(e.name)!]));
    const firesBeforeOutage = onTheWire.length;
    await sleep(3_000);
    const [c, d] = [spawnScheduler(), spawnScheduler()];
    await ready(c, d);
    // Until every entry, the slow one too, has fired enough slots for the checks below to mean something:
    // on a fast run the phases above can end before the two-second entry has nine.
    await waitFor(
      () =>
        onTheWire.length >= firesBeforeOutage + 6 &&
        FastCronTable.every((entry) => new Set(firesOf(entry.name, onTheWire)).size > 8),
      { timeoutMs: 30_000, description: 'more than 8 slots of every entry' },
    );
    for (const s of [c, d]) s.child.kill('SIGTERM');
    await Promise.all([c.exited, d.exited]);
    await client.flush();

    const stored = await storedFires();
    const all = [a, b, restarted, c, d];
    const publishedLines = all
      .flatMap((s) => s.output().split('\n'))
      .filter((line) => line.includes('"msg":"cron slot published"'))
      .map((line) => JSON.parse(line) as { cron: string; slot: string; pid: number });
    for (const { name } of FastCronTable) {
      const wire = firesOf(name, onTheWire);
      const kept = firesOf(name, stored);
      // 0 double fires: the stream holds each slot once, and every slot sent is there.
      expect(kept.length).toBeGreaterThan(8);
      expect(kept.length).toBe(new Set(kept).size);
      expect(new Set(kept)).toEqual(new Set(wire));
      // Each slot is claimed by one replica (compare-and-set on its cron state). A claim still unfinished after
      // the 2-second grace (its replica was killed between publishing and marking it done) is re-sent with the
      // same id by whichever replica sees it next, and the stream drops the copy: one repeat per kill at most
      // (three kills), never a second stored fire. A live replica's claim is left to it.
      const repeats = wire.length - new Set(wire).size;
      expect(repeats).toBeLessThanOrEqual(3);
      const publishers = publishedLines.filter((l) => l.cron === name);
      expect(publishers.length - new Set(publishers.map((l) => l.slot)).size).toBeLessThanOrEqual(repeats);
      // The outage: its slots were missed; of them only the newest due at the first tick was published, once.
      // A slot claimed just before the kill but not yet sent may come first: the restarted replicas finish it.
      const afterOutage = [...new Set(wire.filter((slot) => slot > beforeOutage[name]))].sort();
      const sinceOutage = [beforeOutage[name], ...afterOutage].map((slot) => Date.parse(slot));
      const hole = sinceOutage.findIndex((at, i) => i > 0 && at - sinceOutage[i - 1] > 3_000);
      expect(hole).toBeGreaterThan(0);
      expect(hole).toBeLessThanOrEqual(2);
      const caughtUp = afterOutage[hole - 1];
      expect(kept.filter((slot) => slot === caughtUp)).toHaveLength(1);
      process.stdout.write(
        `${name}: ${kept.length} slots stored, ${wire.length} sent, ${repeats} re-sent after a kill, ` +
          `outage ${beforeOutage[name]} -> caught up ${caughtUp}\n`,
      );
    }
    // Both restarted replicas saw the missed slots; the compare-and-set let only one of them publish.
    const catchUps = [c, d]
      .flatMap((s) => s.output().split('\n'))
      .filter((l) => l.includes('missed cron slots'));
    expect(catchUps.length).toBeGreaterThanOrEqual(1);
  }, 420_000);
});
