import { spawn, type ChildProcess } from 'node:child_process';
import { runInThisContext } from 'node:vm';

/**
 * Jest hands every test file a copy of `process` whose 'exit' listeners never fire, so a hook
 * registered on it would silently do nothing. `runInThisContext` evaluates in Node's main context,
 * which still sees the real process object.
 */
function hostProcess(): NodeJS.Process {
  try {
    const candidate: unknown = runInThisContext('process');
    if (typeof candidate === 'object' && candidate !== null && 'on' in candidate) {
      return candidate as NodeJS.Process;
    }
  } catch {
    // Not sandboxed in a way we recognise: the global process is the real one.
  }
  return process;
}

const trackedChildren = new Set<ChildProcess>();

function killTrackedChildren(): void {
  for (const child of trackedChildren) child.kill('SIGKILL');
}

// Blocks on a pipe only we write to; the kernel closes it when we die, however we die.
const WATCHDOG_SCRIPT = 'read _ignored; kill -KILL "$1" 2>/dev/null; [ -n "$2" ] && rm -rf -- "$2"';

export interface ProcessLifetimeOptions {
  /**
   * Directory the watchdog deletes after killing an orphaned child: nobody is left to call
   * cleanup() then, and temp store dirs would pile up.
   */
  removeWhenOrphaned?: string;
}

/**
 * Makes sure `child` dies with the current process.
 *
 * Two layers: an 'exit' hook on the real process covers normal worker shutdown, and a tiny `sh`
 * watchdog covers the cases where no 'exit' event is emitted (jest killing a hung worker with
 * SIGTERM/SIGKILL).
 *
 * Both the child and the watchdog are unref'ed so that a server a test forgot to stop does not keep
 * the worker alive; the worker exits and takes the server with it.
 *
 * Returns a function that stops tracking; call it once the child has exited.
 */
export function tieChildToProcessLifetime(
  child: ChildProcess,
  options: ProcessLifetimeOptions = {},
): () => void {
  if (child.pid === undefined) return () => undefined;

  const realProcess = hostProcess();
  if (trackedChildren.size === 0) realProcess.on('exit', killTrackedChildren);
  trackedChildren.add(child);

  const watchdogArgs = [String(child.pid), options.removeWhenOrphaned ?? ''];
  const watchdog = spawn('/bin/sh', ['-c', WATCHDOG_SCRIPT, 'reaper', ...watchdogArgs], {
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  watchdog.on('error', () => undefined); // The exit hook still protects us if sh cannot start.
  watchdog.unref();
  unrefStream(watchdog.stdin);
  child.unref();
  unrefStream(child.stdout);
  unrefStream(child.stderr);

  let untied = false;
  return () => {
    if (untied) return;
    untied = true;
    // SIGKILL rather than closing stdin: closing would make the watchdog kill a pid that may
    // already have been reused, and delete a store dir that outlives this process on purpose.
    watchdog.kill('SIGKILL');
    trackedChildren.delete(child);
    if (trackedChildren.size === 0) realProcess.off('exit', killTrackedChildren);
  };
}

function unrefStream(stream: unknown): void {
  // Pipes to a child are net.Sockets at runtime although typed as plain streams.
  if (
    typeof stream === 'object' &&
    stream !== null &&
    'unref' in stream &&
    typeof stream.unref === 'function'
  ) {
    stream.unref();
  }
}
