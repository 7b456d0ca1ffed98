/**
 * Sends job `n` at `start + n / rate`, checking the clock every millisecond (a timer cannot do better), so
 * jobs leave one or two at a time at a steady rate; a late tick catches up. Sends are not awaited one by
 * one, so a slow acknowledgement never holds back the schedule. Resolves when every send has settled.
 */
export async function runLatencyProducer(
  total: number,
  ratePerSec: number,
  send: (n: number) => Promise<unknown>,
): Promise<void> {
  const intervalMs = 1000 / ratePerSec;
  const pending: Promise<unknown>[] = [];
  let failure: unknown;
  const start = performance.now();
  let sent = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const due = Math.min(total, Math.floor((performance.now() - start) / intervalMs) + 1);
      while (sent < due) {
        pending.push(
          send(sent++).catch((error: unknown) => {
            failure ??= error;
          }),
        );
      }
      if (sent < total && failure === undefined) setTimeout(tick, 1);
      else resolve();
    };
    tick();
  });
  await Promise.all(pending);
  if (failure !== undefined) throw failure;
}

/** Sends one job every `everyMs` until `stop()` says so; returns how many it sent. */
export function runTicker(
  everyMs: number,
  send: (n: number) => Promise<unknown>,
  shouldStop: (sent: number) => boolean,
): Promise<number> {
  return new Promise((resolve, reject) => {
    let sent = 0;
    const pending: Promise<unknown>[] = [];
    const timer = setInterval(() => {
      if (shouldStop(sent)) {
        clearInterval(timer);
        Promise.all(pending).then(() => resolve(sent), reject);
        return;
      }
      pending.push(send(sent++));
    }, everyMs);
  });
}
