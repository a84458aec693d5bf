import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A private `redis-server` for tests and benchmarks: its own free port on 127.0.0.1, its own
 * temporary directory, never the shared server on 6379. It lives in support/, which both test/ and
 * bench/ import and which imports neither, so that benchmarks do not depend on the test suite.
 */
export interface RedisServer {
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** The running server's process id; undefined while it is stopped. */
  readonly pid: number | undefined;
  /** Stops the server (SIGTERM, then SIGKILL after 3 s) and removes its directory. Idempotent. */
  stop(): Promise<void>;
  /** Stops the process and starts it again on the same port and directory. */
  restart(): Promise<void>;
  /** Kills the server with SIGKILL (no shutdown, no final flush) without removing its directory. */
  kill(): Promise<void>;
  /** Starts a stopped or killed server again on the same port and directory. */
  start(): Promise<void>;
}

export interface RedisServerOptions {
  /**
   * Keep an append-only file (`appendonly yes`, `appendfsync always`) in the server's directory
   * so that a restart keeps the data, as a production Redis should. Default: false (nothing on disk).
   */
  readonly persist?: boolean;
  /** Extra command-line arguments, e.g. `['--cluster-enabled', 'yes']`. */
  readonly extraArgs?: readonly string[];
  /** How long to wait for the server to answer PING, in ms. Default 10 000. */
  readonly startTimeoutMs?: number;
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

/** A test run that crashes must not leave servers behind. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}

/** Asks the OS for a free port by binding port 0 on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * True when the server on `port` is the process `pid` and answers (`INFO server` over a raw
 * socket: its `process_id`). Not a PING: while a starting server has not bound its port yet,
 * another process may hold it — a killed server's port is free until it starts again, and any
 * other test's `redis-server` may take it meanwhile — and a PING would take that one for ours,
 * whose tests would then read and flush another file's data.
 */
function answersAs(port: number, pid: number | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let answer = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('INFO server\r\n'));
    socket.on('data', (chunk) => {
      answer += chunk.toString('utf8');
      const head = /^\$(\d+)\r\n/.exec(answer);
      if (head === null) {
        if (answer.includes('\r\n')) done(false);
        return;
      }
      if (Buffer.byteLength(answer) < head[0].length + Number(head[1])) return;
      done(pid !== undefined && new RegExp(`\\bprocess_id:${pid}\\r\\n`).test(answer));
    });
  });
}

function waitExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Starts a private redis-server and resolves once it answers PING. */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  installExitHook();
  const dir = mkdtempSync(join(tmpdir(), 'patchthrough-redis-'));
  const startTimeoutMs = options.startTimeoutMs ?? 10_000;
  let port = 0;
  let child: ChildProcess | undefined;
  let removed = false;

  const args = (): string[] => [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--dir',
    dir,
    '--protected-mode',
    'no',
    ...(options.persist === true
      ? ['--appendonly', 'yes', '--appendfsync', 'always']
      : ['--appendonly', 'no']),
    ...(options.extraArgs ?? []),
  ];

  const launch = async (): Promise<boolean> => {
    let stderr = '';
    const proc = spawn('redis-server', args(), { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    proc.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    running.add(proc);
    proc.once('exit', () => running.delete(proc));
    child = proc;
    const deadline = Date.now() + startTimeoutMs;
    while (Date.now() < deadline) {
      if (proc.exitCode !== null || proc.signalCode !== null) {
        // Usually "Address already in use": another process took the port between freePort() and here.
        if (stderr.length > 0) process.stderr.write(stderr);
        return false;
      }
      if (await answersAs(port, proc.pid)) return true;
      await sleep(20);
    }
    proc.kill('SIGKILL');
    await waitExit(proc, 3_000);
    throw new Error(`redis-server on port ${port} did not answer PING within ${startTimeoutMs} ms`);
  };

  const halt = async (signal: NodeJS.Signals): Promise<void> => {
    const proc = child;
    child = undefined;
    if (proc === undefined) return;
    proc.kill(signal);
    if (!(await waitExit(proc, 3_000))) {
      proc.kill('SIGKILL');
      await waitExit(proc, 3_000);
    }
  };

  const startOnSamePort = async (): Promise<void> => {
    if (child !== undefined) return;
    if (!(await launch())) throw new Error(`redis-server could not start again on port ${port}`);
  };

  for (let attempt = 0; ; attempt++) {
    port = await freePort();
    if (await launch()) break;
    if (attempt >= 4) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error('redis-server did not start');
    }
  }

  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    get pid() {
      return child?.pid;
    },
    async stop() {
      await halt('SIGTERM');
      if (!removed) {
        removed = true;
        rmSync(dir, { recursive: true, force: true });
      }
    },
    async restart() {
      await halt('SIGTERM');
      await startOnSamePort();
    },
    async kill() {
      await halt('SIGKILL');
    },
    start: startOnSamePort,
  };
}
