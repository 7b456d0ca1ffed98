import type { SubjectTotals, WorkerHeartbeat } from '@lib/jetstream';
import { JobHistory } from './job-history';

const T0 = Date.parse('2026-11-24T10:00:05Z');
const minute = 60_000;
const Subject = 'jobs.notifier.deliver-email';

function tally(processed: number, failed = 0): SubjectTotals {
  return { processed, failed, retried: 0, dead: 0, discarded: 0 };
}

function beat(key: string, startedAt: string, totals: Record<string, SubjectTotals>): WorkerHeartbeat {
  const [app] = key.split('.');
  return {
    key,
    app,
    host: 'h',
    pid: 1,
    version: 'v',
    slots: 5,
    inFlight: 0,
    waiting: 0,
    startedAt,
    beatAt: '',
    jobs: [],
    totals,
  };
}

describe('JobHistory', () => {
  it('keeps per-minute differences of the cumulative counters', () => {
    const history = new JobHistory(60);
    history.record([beat('a.h.1', 'boot', { [Subject]: tally(100, 3) })], T0);
    history.record([beat('a.h.1', 'boot', { [Subject]: tally(110, 4) })], T0 + minute);
    history.record([beat('a.h.1', 'boot', { [Subject]: tally(130, 4) })], T0 + 2 * minute);
    const series = history.series(T0 + 2 * minute, 3);
    expect(series.map((p) => [p.minute.slice(11, 16), p.processed, p.failed])).toEqual([
      ['10:00', 0, 0], // the first sample is a baseline: what happened before is not placed in a minute
      ['10:01', 10, 1],
      ['10:02', 20, 0],
    ]);
  });

  it('counts everything a restarted worker reports, whether its key changed or its counters went down', () => {
    const history = new JobHistory(60);
    history.record([beat('a.h.1', 'boot1', { [Subject]: tally(50) })], T0);
    // Same key (same pid in a container), new start time: 7 since the restart, not 7 - 50.
    history.record([beat('a.h.1', 'boot2', { [Subject]: tally(7) })], T0 + minute);
    // Counters lower without a new start time also mean a reset.
    history.record([beat('a.h.1', 'boot2', { [Subject]: tally(3) })], T0 + 2 * minute);
    // A new process (new pid, new key) appears after the first sample: all of its work is new.
    history.record(
      [beat('a.h.1', 'boot2', { [Subject]: tally(3) }), beat('a.h.2', 'boot3', { [Subject]: tally(4) })],
      T0 + 3 * minute,
    );
    expect(history.series(T0 + 3 * minute, 4).map((p) => p.processed)).toEqual([0, 7, 3, 4]);
  });

  it('does not count a worker twice when its heartbeat is missing from one sample', () => {
    const history = new JobHistory(60);
    history.record([beat('a.h.1', 'boot', { [Subject]: tally(10) })], T0);
    history.record([], T0 + minute);
    history.record([beat('a.h.1', 'boot', { [Subject]: tally(12) })], T0 + 2 * minute);
    expect(history.series(T0 + 2 * minute, 3).map((p) => p.processed)).toEqual([0, 0, 2]);
  });

  it('keeps the counts of two apps consuming the same subject apart', () => {
    const history = new JobHistory(60);
    const event = 'events.poll.closed';
    history.record(
      [beat('poller.h.1', 'b', { [event]: tally(0) }), beat('notifier.h.2', 'b', { [event]: tally(0) })],
      T0,
    );
    history.record(
      [beat('poller.h.1', 'b', { [event]: tally(4) }), beat('notifier.h.2', 'b', { [event]: tally(1) })],
      T0 + minute,
    );
    expect(history.bySubject(T0 + minute, 5).get(event)?.processed).toBe(5);
    expect(history.byAppSubject(T0 + minute, 5).get(`poller ${event}`)?.processed).toBe(4);
    expect(history.byAppSubject(T0 + minute, 5).get(`notifier ${event}`)?.processed).toBe(1);
  });

  it('sums subjects per minute, reports them per subject, and forgets minutes past the window', () => {
    const history = new JobHistory(3);
    const other = 'jobs.poller.close-expired-polls';
    history.record([beat('a.h.1', 'b', { [Subject]: tally(0), [other]: tally(0) })], T0);
    history.record([beat('a.h.1', 'b', { [Subject]: tally(2), [other]: tally(1, 1) })], T0 + minute);
    expect(history.series(T0 + minute, 1)[0]).toMatchObject({ processed: 3, failed: 1 });
    expect(history.bySubject(T0 + minute, 5).get(other)).toMatchObject({ processed: 1, failed: 1 });
    expect(history.byAppSubject(T0 + minute, 5).get(`a ${other}`)).toMatchObject({ processed: 1 });
    history.record([beat('a.h.1', 'b', { [Subject]: tally(2), [other]: tally(1, 1) })], T0 + 5 * minute);
    expect(history.bySubject(T0 + 5 * minute, 60).size).toBe(2);
    expect(history.series(T0 + 5 * minute, 60).reduce((sum, p) => sum + p.processed, 0)).toBe(0);
  });
});
