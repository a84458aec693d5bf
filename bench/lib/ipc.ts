/**
 * Parent ⇄ child process messages for the benchmarks: every benchmarked server (the daemon, the
 * bare relay) runs in its own Node process so the load generator never shares its event loop.
 * The child announces itself with one `ready` message, then answers `{ id, type, body }`
 * requests with `{ id, ok, value | error }`.
 */
import { type ChildProcess, fork } from 'node:child_process';

interface Request {
  readonly id: number;
  readonly type: string;
  readonly body?: unknown;
}

type Reply =
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly id: number; readonly ok: false; readonly error: string };

interface Ready {
  readonly ready: unknown;
}

export interface ChildProc<R> {
  readonly pid: number;
  /** What the child sent with `ready` (e.g. its port). */
  readonly ready: R;
  /** Sends a request; resolves with the child's answer. */
  call<T>(type: string, body?: unknown): Promise<T>;
  /** Asks the child to stop (`stop` request), waits for its exit, kills it after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

export interface ForkOptions {
  readonly args?: readonly string[];
  /** Extra Node flags (`--cpu-prof`, …); `--import tsx` and `--expose-gc` are always given. */
  readonly nodeFlags?: readonly string[];
  readonly readyTimeoutMs?: number;
}

/** Starts `script` (a .ts file) in a child Node process and waits for its `ready` message. */
export async function forkChild<R>(script: URL, options: ForkOptions = {}): Promise<ChildProc<R>> {
  const child: ChildProcess = fork(script.pathname, [...(options.args ?? [])], {
    execArgv: ['--import', 'tsx', '--expose-gc', ...(options.nodeFlags ?? [])],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => {
    for (const w of waiting.values()) w.reject(new Error(`child ${script.pathname} exited`));
    waiting.clear();
  });
  const ready = await new Promise<R>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`child ${script.pathname} not ready`)),
      options.readyTimeoutMs ?? 20_000,
    );
    child.once('exit', (code) => reject(new Error(`child ${script.pathname} exited with ${code}`)));
    child.on('message', (raw: unknown) => {
      const message = raw as Reply | Ready;
      if ('ready' in message) {
        clearTimeout(timer);
        resolve(message.ready as R);
        return;
      }
      const w = waiting.get(message.id);
      if (w === undefined) return;
      waiting.delete(message.id);
      if (message.ok) w.resolve(message.value);
      else w.reject(new Error(message.error));
    });
  });
  const call = <T>(type: string, body?: unknown): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++;
      waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      const request: Request = { id, type, body };
      child.send(request);
    });
  return {
    pid: child.pid ?? 0,
    ready,
    call,
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await call('stop').catch(() => undefined);
      await exited;
      clearTimeout(timer);
    },
  };
}

export type Handler = (body: unknown) => unknown;

/**
 * Child side: answers requests with `handlers[type]`. A `stop` handler is expected to release
 * everything; the process then exits normally (so `--cpu-prof` writes its profile).
 */
export function serveParent(ready: unknown, handlers: Readonly<Record<string, Handler>>): void {
  const send = (message: Reply | Ready): void => {
    process.send?.(message);
  };
  process.on('message', (raw: unknown) => {
    const request = raw as Request;
    const handler = handlers[request.type];
    if (handler === undefined) {
      send({ id: request.id, ok: false, error: `unknown request ${request.type}` });
      return;
    }
    Promise.resolve()
      .then(() => handler(request.body))
      .then(
        (value) => {
          send({ id: request.id, ok: true, value: value ?? null });
          if (request.type === 'stop') {
            process.disconnect?.();
            setTimeout(() => process.exit(0), 50).unref();
          }
        },
        (err: unknown) =>
          send({ id: request.id, ok: false, error: err instanceof Error ? err.message : String(err) }),
      );
  });
  // The parent going away ends the child too.
  process.on('disconnect', () => setTimeout(() => process.exit(0), 200).unref());
  send({ ready });
}
