import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { settles } from '../support/eventually.js';

const SHIPPED_CONFIG = fileURLToPath(new URL('../../deploy/haproxy.cfg', import.meta.url));

export interface ClusterAddresses {
  /** The public frontend's port on 127.0.0.1. */
  readonly frontendPort: number;
  /** One backend server per worker port, named `worker-1`, `worker-2`… */
  readonly workerPorts: readonly number[];
  /** Where the `resolvers` section points (nothing answers there: the servers are IP literals). */
  readonly resolverPort: number;
}

/**
 * deploy/haproxy.cfg with only its addresses changed: the frontend binds 127.0.0.1, the
 * resolver points at loopback, and the backend lists one server per worker port, each written
 * exactly as the shipped `server worker-1 …` line with its address replaced. Everything else
 * (retries, redispatch, retry-on, health checks, timeouts) is the shipped text.
 */
export function clusterConfig(
  addresses: ClusterAddresses,
  template = readFileSync(SHIPPED_CONFIG, 'utf8'),
): string {
  const lines = template.split('\n');
  const out: string[] = [];
  let serversWritten = false;
  let binds = 0;
  let nameservers = 0;
  for (const line of lines) {
    const bind = /^(\s*)bind\s+\S*:\d+\s*$/.exec(line);
    if (bind) {
      out.push(`${bind[1]}bind 127.0.0.1:${addresses.frontendPort}`);
      binds++;
      continue;
    }
    const ns = /^(\s*nameserver\s+\S+\s+)\S+:\d+\s*$/.exec(line);
    if (ns) {
      out.push(`${ns[1]}127.0.0.1:${addresses.resolverPort}`);
      nameservers++;
      continue;
    }
    const server = /^(\s*)server\s+worker-\d+\s+\S+:\d+(.*)$/.exec(line);
    if (server) {
      if (!serversWritten) {
        addresses.workerPorts.forEach((port, i) => {
          out.push(`${server[1]}server worker-${i + 1} 127.0.0.1:${port}${server[2]}`);
        });
        serversWritten = true;
      }
      continue;
    }
    out.push(line);
  }
  if (binds !== 1 || nameservers !== 1 || !serversWritten) {
    throw new Error(
      `deploy/haproxy.cfg changed shape (binds=${binds}, nameservers=${nameservers}, servers=${serversWritten}): update clusterConfig`,
    );
  }
  return out.join('\n');
}

export interface Haproxy {
  readonly url: string;
  readonly output: string[];
  readonly proc: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Runs Debian's haproxy in the foreground on `config`. `-n` caps the connection count for this
 * process only (the shipped `maxconn 20000` needs more file descriptors than a test machine
 * grants); the configuration itself is not touched.
 */
export async function startHaproxy(config: string, frontendPort: number): Promise<Haproxy> {
  const dir = mkdtempSync(join(tmpdir(), 'patchthrough-haproxy-'));
  const file = join(dir, 'haproxy.cfg');
  writeFileSync(file, config);
  const proc = spawn('haproxy', ['-f', file, '-db', '-n', '2000'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  proc.stdout?.on('data', (c: Buffer) => output.push(c.toString('utf8')));
  proc.stderr?.on('data', (c: Buffer) => output.push(c.toString('utf8')));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const spawned = new Promise<void>((resolve, reject) => {
    proc.once('spawn', () => resolve());
    proc.once('error', (err) =>
      reject(new Error(`cannot run haproxy (Debian: apt-get install haproxy; .ci/run does): ${err.message}`)),
    );
  });
  try {
    await spawned;
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    url: `http://127.0.0.1:${frontendPort}`,
    output,
    proc,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        const timer = setTimeout(() => proc.kill('SIGKILL'), 3000);
        await settles(exited, 'haproxy to exit', { timeoutMs: 10_000 });
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
