/**
 * The two-step runs (delayed, replicas): a child boots its worker and says `ready`; the orchestrator then
 * loads the jobs (outside every child's measurement) and answers `go`; for the replicas workload it later
 * says `stop` once the stream is empty, because no single process knows when all of them are done.
 */
export type ParentMessage = { step: 'go' } | { step: 'stop' };

const received = new Set<ParentMessage['step']>();
const waiters = new Map<ParentMessage['step'], () => void>();

process.on('message', (message: ParentMessage) => {
  received.add(message.step);
  waiters.get(message.step)?.();
});

/** Waits for the orchestrator's `step`; run without a parent (by hand), it goes on at once. */
export function parentSays(step: ParentMessage['step']): Promise<void> {
  if (!process.send || received.has(step)) return Promise.resolve();
  return new Promise((resolve) => waiters.set(step, resolve));
}

/** Tells the orchestrator this worker is up, then waits for its `go`. */
export async function readyThenWaitForGo(): Promise<void> {
  process.send?.({ ready: true });
  await parentSays('go');
}
