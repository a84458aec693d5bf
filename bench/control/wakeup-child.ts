/**
 * One end of the wake-up probe (wakeup.ts), in a process of its own. `echo`: a Unix socket server
 * that writes back every byte it reads. `ping`: connects to it and, on request, sends one byte at
 * a time after a jittered gap and times each answer. Nothing else runs in either process, so a
 * round trip is two idle processes waking each other: what the machine adds to any message
 * between the daemon, its Redis and its carriers when they sat idle in between.
 *
 * Arguments: `echo <socket path>` or `ping <socket path>`; reports to the parent over IPC.
 */
import net from 'node:net';
import { serveParent } from '../lib/ipc.js';

export interface WakeupReady {
  readonly pid: number;
}

export interface PingRequest {
  readonly count: number;
  /** The mean gap before each byte, ms; each gap is drawn evenly from half to one and a half times it. */
  readonly gapMs: number;
}

const [role, path] = process.argv.slice(2);
if (path === undefined || (role !== 'echo' && role !== 'ping'))
  throw new Error('usage: wakeup-child.ts echo|ping <socket path>');

if (role === 'echo') {
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    socket.on('data', (chunk) => socket.write(chunk));
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  const ready: WakeupReady = { pid: process.pid };
  serveParent(ready, {
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
} else {
  const socket = net.connect(path);
  socket.setNoDelay(true);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const one = Buffer.from([0x2a]);
  const roundTrip = (): Promise<number> =>
    new Promise((resolve) => {
      const startedAt = performance.now();
      socket.once('data', () => resolve(performance.now() - startedAt));
      socket.write(one);
    });
  const ready: WakeupReady = { pid: process.pid };
  serveParent(ready, {
    /** Round trips in ms, one per byte. */
    run: async (body) => {
      const { count, gapMs } = body as PingRequest;
      const out: number[] = [];
      for (let i = 0; i < count; i++) {
        await new Promise((resolve) => setTimeout(resolve, gapMs * (0.5 + Math.random())));
        out.push(await roundTrip());
      }
      return out;
    },
    stop: () => {
      socket.destroy();
    },
  });
}
