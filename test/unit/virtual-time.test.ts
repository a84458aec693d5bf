import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { every, sleep } from '../../src/lib/time.js';
import { VirtualTime } from '../../src/lib/virtual-time.js';

/**
 * VirtualTime: timers fire in deadline order (ties in the order set) on a clock that jumps only
 * when the process is quiet, so IO in flight on a real socket is delivered before time moves.
 */
describe('VirtualTime', () => {
  const times: VirtualTime[] = [];
  const closers: (() => void)[] = [];
  const vt = (): VirtualTime => {
    const t = new VirtualTime();
    times.push(t);
    return t;
  };
  afterEach(() => {
    for (const t of times.splice(0)) t.stop();
    for (const close of closers.splice(0)) close();
  });

  it('fires timers by deadline, equal deadlines in the order they were set, and jumps the clock', async () => {
    const time = vt();
    const order: string[] = [];
    const at: number[] = [];
    const start = time.nowMs();
    for (const [name, ms] of [
      ['c', 30_000],
      ['a', 10],
      ['b1', 500],
      ['b2', 500],
      ['gone', 400],
    ] as const) {
      const handle = time.setTimeout(() => {
        order.push(name);
        at.push(time.nowMs() - start);
      }, ms);
      if (name === 'gone') time.clearTimeout(handle);
    }
    const wallStart = performance.now();
    await time.idle();
    expect(order).toEqual(['a', 'b1', 'b2', 'c']);
    expect(at).toEqual([10, 500, 500, 30_000]);
    expect(time.epochMs() - Date.UTC(2026, 0, 1)).toBe(30_000);
    // Half a minute of virtual time: well under a second of wall time.
    expect(performance.now() - wallStart).toBeLessThan(1_000);
  });

  it('keeps the order over many timers, most of them cancelled (the heap compacts)', async () => {
    const time = vt();
    const fired: number[] = [];
    const expected: number[] = [];
    let x = 7;
    for (let i = 0; i < 2_000; i++) {
      x = (x * 48_271) % 2_147_483_647;
      const due = x % 500;
      const handle = time.setTimeout(() => fired.push(i), due);
      if (i % 5 === 0) expected.push(i);
      else time.clearTimeout(handle);
    }
    expect(time.pending).toBe(400);
    await time.idle();
    const dueOf = new Map<number, number>();
    x = 7;
    for (let i = 0; i < 2_000; i++) {
      x = (x * 48_271) % 2_147_483_647;
      dueOf.set(i, x % 500);
    }
    expected.sort((a, b) => (dueOf.get(a) ?? 0) - (dueOf.get(b) ?? 0) || a - b);
    expect(fired).toEqual(expected);
  });

  it('runUntil stops before time moves past the moment the predicate holds', async () => {
    const time = vt();
    let beats = 0;
    const stop = every(time, 1_000, () => {
      beats += 1;
    });
    await time.runUntil(() => beats === 3);
    expect(time.elapsedMs).toBe(3_000);
    stop();
    await expect(time.runUntil(() => false, { timeoutMs: 5_000, what: 'never' })).rejects.toThrow(/never/);
  });

  it('waits for a reply in flight on a real socket before jumping to the next timer', async () => {
    const time = vt();
    // An echo server that answers after a chain of socket hops, with no virtual timer involved.
    const server: Server = createServer((s) => s.on('data', (d) => s.write(d)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(() => server.close());
    const port = (server.address() as { port: number }).port;
    const client: Socket = connect(port, '127.0.0.1');
    closers.push(() => client.destroy());
    await new Promise((resolve) => client.once('connect', resolve));
    const events: string[] = [];
    let hops = 0;
    client.on('data', () => {
      hops += 1;
      events.push(`reply ${hops} at ${time.elapsedMs}`);
      if (hops < 20) client.write('x');
    });
    time.setTimeout(() => events.push(`timer at ${time.elapsedMs}`), 1);
    client.write('x');
    await time.idle();
    await time.runUntil(() => hops === 20, { timeoutMs: 10 });
    // Every reply came at virtual time 0: the 1 ms timer waited for the whole exchange.
    expect(events.at(-1)).toBe('timer at 1');
    expect(events.filter((e) => e.startsWith('reply')).every((e) => e.endsWith('at 0'))).toBe(true);
  });

  it('waits for bytes written to a socket of this process that its peer has not read yet', async () => {
    const time = vt();
    let received = '';
    const server: Server = createServer((s) =>
      s.on('data', (d) => {
        received += d.toString();
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(() => server.close());
    const port = (server.address() as { port: number }).port;
    const client: Socket = connect(port, '127.0.0.1');
    closers.push(() => client.destroy());
    await new Promise((resolve) => client.once('connect', resolve));
    const seen: string[] = [];
    time.setTimeout(() => seen.push(received), 1);
    // Written, but held back for a moment before it reaches the peer (as the kernel holds a
    // small write behind a delayed ACK): no callback runs meanwhile.
    client.cork();
    client.write('abc');
    setTimeout(() => client.uncork(), 30);
    await time.runUntil(() => seen.length === 1, { timeoutMs: 10 });
    expect(seen).toEqual(['abc']);
  });

  it('sleep and stop: a stopped time fires nothing more and rejects its waits', async () => {
    const time = vt();
    let woke = false;
    void sleep(time, 10).then(() => {
      woke = true;
    });
    await time.runFor(10);
    expect(woke).toBe(true);
    const fired: number[] = [];
    time.setTimeout(() => fired.push(1), 50);
    const waiting = time.runUntil(() => fired.length > 0, { timeoutMs: 10_000 });
    time.stop();
    await expect(waiting).rejects.toThrow(/stopped/);
    expect(fired).toEqual([]);
  });
});
