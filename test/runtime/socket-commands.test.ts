import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import type { CallEffect } from '../../src/runtime/call-reducer.js';
import { SessionRegistry } from '../../src/runtime/sessions.js';
import { type SocketCommand, SocketCommands } from '../../src/runtime/socket-commands.js';
import { Workers } from '../../src/runtime/workers.js';
import { createStore } from '../../src/store/create-store.js';
import type { Store } from '../../src/store/types.js';

/** Two workers on one store; heartbeat look-ups counted on the store passed in. */
function setUp() {
  const store: Store<object> = createStore<object>({});
  const isAlive = store.workers.isAlive.bind(store.workers);
  const asked: string[] = [];
  store.workers.isAlive = (workerId) => {
    asked.push(workerId);
    return isAlive(workerId);
  };
  const ran: { worker: string; callId: string }[] = [];
  const worker = (workerId: string) => {
    const workers = new Workers<SocketCommand>({ store, workerId });
    const commands = new SocketCommands({
      workers,
      sessions: new SessionRegistry(),
      log: silentLogger(),
      runHere: async (callId) => {
        ran.push({ worker: workerId, callId });
      },
    });
    return { workers, commands };
  };
  return { store, asked, ran, a: worker('wa'), b: worker('wb') };
}

const EFFECT = { type: 'handoff.watch', transferId: 't1' } as unknown as CallEffect;
let stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops) await stop();
  stops = [];
});

describe('socket commands: relaying a socket effect', () => {
  it('does not look up a heartbeat when nobody or this worker holds the socket', async () => {
    const { asked, a } = setUp();
    await a.workers.start();
    stops.push(() => a.workers.stop());
    expect(await a.commands.relay('nobody-holds', EFFECT)).toBe(false);
    await a.workers.sockets.claim('held-here');
    expect(await a.commands.relay('held-here', EFFECT)).toBe(false);
    expect(asked).toEqual([]);
  });

  it("sends it to another live worker holding the socket, once its heartbeat was checked; a dead one's is not sent", async () => {
    const { asked, ran, a, b } = setUp();
    await a.workers.start();
    await b.workers.start();
    await b.commands.start();
    stops.push(
      () => a.workers.stop(),
      () => b.commands.stop(),
    );
    await b.workers.sockets.claim('held-by-b');
    expect(await a.commands.relay('held-by-b', EFFECT)).toBe(true);
    expect(asked).toEqual(['wb']);
    await expect.poll(() => ran).toEqual([{ worker: 'wb', callId: 'held-by-b' }]);
    await b.workers.stop();
    expect(await a.commands.relay('held-by-b', EFFECT)).toBe(false);
    expect(asked).toEqual(['wb', 'wb']);
  });
});
