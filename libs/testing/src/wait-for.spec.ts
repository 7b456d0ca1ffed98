import { sleep, waitFor } from './wait-for';

describe('waitFor', () => {
  it('resolves with the first truthy probe result', async () => {
    let calls = 0;
    const value = await waitFor(() => (++calls >= 3 ? { calls } : undefined), { intervalMs: 1 });
    expect(value).toEqual({ calls: 3 });
  });

  it('treats a throwing or rejecting probe as "not yet"', async () => {
    let calls = 0;
    const value = await waitFor(
      async () => {
        calls += 1;
        if (calls === 1) throw new Error('connection refused');
        if (calls === 2) return Promise.reject(new Error('still starting'));
        return 'ready';
      },
      { intervalMs: 1 },
    );
    expect(value).toBe('ready');
  });

  it('names the description and the last probe error on timeout', async () => {
    const failure = waitFor(
      () => {
        throw new Error('ECONNREFUSED 127.0.0.1:1');
      },
      { timeoutMs: 50, intervalMs: 5, description: 'the database to accept connections' },
    );
    await expect(failure).rejects.toThrow(
      /Timed out after 50 ms .*waiting for the database to accept connections/,
    );
    await expect(failure).rejects.toThrow(/last probe error: ECONNREFUSED 127\.0\.0\.1:1/);
  });

  it('reports the last falsy result when the probe stopped throwing', async () => {
    let calls = 0;
    const failure = waitFor(
      () => {
        calls += 1;
        if (calls === 1) throw new Error('stale failure');
        return 0;
      },
      { timeoutMs: 40, intervalMs: 5 },
    );
    await expect(failure).rejects.toThrow(/last probe result: 0$/);
  });

  it('gives up on a probe that never settles', async () => {
    const started = Date.now();
    await expect(waitFor(() => new Promise<boolean>(() => undefined), { timeoutMs: 30 })).rejects.toThrow(
      /Timed out/,
    );
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('stops when its abort signal fires', async () => {
    const controller = new AbortController();
    const failure = waitFor(() => false, { signal: controller.signal, description: 'the server' });
    controller.abort(new Error('server process exited'));
    await expect(failure).rejects.toThrow('Stopped waiting for the server: server process exited');
  });
});

describe('sleep', () => {
  it('waits at least the given time', async () => {
    const started = Date.now();
    await sleep(20);
    expect(Date.now() - started).toBeGreaterThanOrEqual(19);
  });
});
