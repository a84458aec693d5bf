import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import type { CallRecord } from '../../src/runtime/call-record.js';
import { SessionRegistry } from '../../src/runtime/sessions.js';
import { type SocketCommand, SocketCommands } from '../../src/runtime/socket-commands.js';
import { Workers } from '../../src/runtime/workers.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { fakeSession } from './shell-fakes.js';

/**
 * `takeOver`, before a worker opens a call's agent socket: whether the agent already knows the
 * call (`resumed` on the new socket's `start`). The agent protocol's promise: a socket that
 * continues the call's conversation says so, whoever held the one before and whatever became of
 * that worker (soak seed 15003: a worker that died).
 */
describe('SocketCommands.takeOver', () => {
  async function worker(
    store: MemoryStore<CallRecord>,
    workerId: string,
    sessions: SessionRegistry = new SessionRegistry(),
  ) {
    const workers = new Workers<SocketCommand>({ store, workerId });
    await workers.start();
    const commands = new SocketCommands({
      workers,
      sessions,
      log: silentLogger(),
      runHere: async () => undefined,
      handoverWaitMs: 200,
    });
    await commands.start();
    return { workers, commands };
  }

  it('a call nobody held: a fresh start', async () => {
    const store = new MemoryStore<CallRecord>({ sweepIntervalMs: 0 });
    const b = await worker(store, 'b');
    expect(await b.commands.takeOver('call-1')).toEqual({ resumed: false });
    await b.commands.stop();
    await b.workers.stop();
  });

  it('held by a worker that died, or by this worker before a restart: resumed', async () => {
    const store = new MemoryStore<CallRecord>({ sweepIntervalMs: 0 });
    const a = await worker(store, 'a');
    await a.workers.sockets.claim('call-1');
    // Worker a is gone: no longer listening, and out of the registry.
    await a.commands.stop();
    await a.workers.stop();
    const b = await worker(store, 'b');
    expect(await b.commands.takeOver('call-1')).toEqual({ resumed: true });
    // This worker held it, then restarted (same WORKER_ID): no session here, the agent knows the call.
    await b.workers.sockets.claim('call-2');
    expect(await b.commands.takeOver('call-2')).toEqual({ resumed: true });
    await b.commands.stop();
    await b.workers.stop();
  });

  it('the holder as the stream’s start read it: not read again', async () => {
    const store = new MemoryStore<CallRecord>({ sweepIntervalMs: 0 });
    const b = await worker(store, 'b');
    let reads = 0;
    const owner = store.sockets.owner.bind(store.sockets);
    store.sockets.owner = (callId: string) => {
      reads += 1;
      return owner(callId);
    };
    expect(await b.commands.takeOver('call-1', null)).toEqual({ resumed: false });
    expect(await b.commands.takeOver('call-2', 'b')).toEqual({ resumed: true });
    expect(reads).toBe(0);
    // Not given: read, as before.
    expect(await b.commands.takeOver('call-3')).toEqual({ resumed: false });
    expect(reads).toBe(1);
    await b.commands.stop();
    await b.workers.stop();
  });

  it("a live holder's session: released, with the resumes it told, which the record may not show yet (soak seed 46467)", async () => {
    const store = new MemoryStore<CallRecord>({ sweepIntervalMs: 0 });
    const held = new SessionRegistry();
    const { session, agent } = fakeSession('call-1');
    // The caller's stream came back to a: its start told the failed transfer's `resume` there.
    session.resumed?.add('call-1.t1');
    held.set(session);
    const a = await worker(store, 'a', held);
    await a.workers.sockets.claim('call-1');
    const b = await worker(store, 'b');
    expect(await b.commands.takeOver('call-1')).toEqual({ resumed: true, resumesTold: ['call-1.t1'] });
    expect(held.get('call-1')).toBeUndefined();
    await expect.poll(() => agent.sent.map((s) => s.kind)).toEqual(['close']);
    for (const w of [a, b]) {
      await w.commands.stop();
      await w.workers.stop();
    }
  });

  it('held by a live worker that never answers the handover: resumed (it had the socket)', async () => {
    const store = new MemoryStore<CallRecord>({ sweepIntervalMs: 0 });
    const a = await worker(store, 'a');
    await a.workers.sockets.claim('call-1');
    // a stops listening for commands but still beats: a publish reaches nobody.
    await a.commands.stop();
    const b = await worker(store, 'b');
    expect(await b.commands.takeOver('call-1')).toEqual({ resumed: true });
    await b.commands.stop();
    await b.workers.stop();
    await a.workers.stop();
  });
});
