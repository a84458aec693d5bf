import { describe, expect, it } from 'vitest';
import type { AgentCloseReason } from '../../src/agent/transport.js';
import { detachSession, endSession, SessionRegistry } from '../../src/runtime/sessions.js';
import { fakeSession } from './shell-fakes.js';

/** A session whose agent takes its time to close (a socket reconnecting to be told what it is owed). */
function slowClosing(callId: string) {
  const { session, agent } = fakeSession(callId);
  let finish: () => void = () => undefined;
  agent.close = (reason?: AgentCloseReason) => {
    agent.sent.push({ kind: 'close', reason });
    return new Promise<void>((resolve) => {
      finish = resolve;
    });
  };
  return { session, finish: () => finish() };
}

describe('SessionRegistry: sessions ended and still closing', () => {
  it('is closing from the end until its agent has closed, then not', async () => {
    const sessions = new SessionRegistry();
    const { session, finish } = slowClosing('CA1');
    sessions.set(session);
    const failures: unknown[] = [];
    // Returns at once: the end does not wait for the agent's close.
    expect(endSession(sessions, 'CA1', (err) => failures.push(err))).toBe(true);
    expect(sessions.get('CA1')).toBeUndefined();
    expect(sessions.isClosing('CA1')).toBe(true);
    expect(sessions.isClosing('CA2')).toBe(false);
    finish();
    await sessions.closed();
    expect(sessions.isClosing('CA1')).toBe(false);
    expect(failures).toEqual([]);
  });

  it('closed() waits for every session closing, and one that fails to close ends its closing too', async () => {
    const sessions = new SessionRegistry();
    const a = slowClosing('CA1');
    const { session: b, agent: bAgent } = fakeSession('CA2');
    bAgent.close = () => Promise.reject(new Error('socket gone'));
    sessions.set(a.session);
    sessions.set(b);
    const failures: unknown[] = [];
    const failed = (err: unknown) => failures.push(err);
    expect(endSession(sessions, 'CA1', failed)).toBe(true);
    expect(endSession(sessions, 'CA2', failed)).toBe(true);
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(failures.map((e) => (e as Error).message)).toEqual(['socket gone']);
    expect(sessions.isClosing('CA2')).toBe(false);
    let allClosed = false;
    const closed = sessions.closed().then(() => {
      allClosed = true;
    });
    await Promise.resolve();
    expect(allClosed).toBe(false);
    a.finish();
    await closed;
    expect(allClosed).toBe(true);
    expect(sessions.isClosing('CA1')).toBe(false);
  });

  it('a call ending twice is closed once', async () => {
    const sessions = new SessionRegistry();
    const { session, agent } = fakeSession('CA1');
    sessions.set(session);
    expect(endSession(sessions, 'CA1', () => undefined)).toBe(true);
    expect(endSession(sessions, 'CA1', () => undefined)).toBe(false);
    await sessions.closed();
    expect(agent.sent.filter((s) => s.kind === 'close')).toHaveLength(1);
  });

  it('a session detached as its transfer connects leaves at once and is closing until its agent has closed', async () => {
    const sessions = new SessionRegistry();
    const { session, finish } = slowClosing('CA1');
    sessions.set(session);
    const failures: unknown[] = [];
    detachSession(sessions, session, 'transferred', (err) => failures.push(err));
    expect(sessions.get('CA1')).toBeUndefined();
    expect(sessions.isClosing('CA1')).toBe(true);
    let allClosed = false;
    const closed = sessions.closed().then(() => {
      allClosed = true;
    });
    await Promise.resolve();
    expect(allClosed).toBe(false);
    finish();
    await closed;
    expect(sessions.isClosing('CA1')).toBe(false);
    expect(failures).toEqual([]);
  });

  it('a detached session whose agent fails to close is said once and ends its closing', async () => {
    const sessions = new SessionRegistry();
    const { session, agent } = fakeSession('CA1');
    agent.close = () => Promise.reject(new Error('socket gone'));
    sessions.set(session);
    const failures: unknown[] = [];
    detachSession(sessions, session, 'transferred', (err) => failures.push(err));
    await sessions.closed();
    await Promise.resolve();
    expect(failures).toHaveLength(1);
    expect(sessions.isClosing('CA1')).toBe(false);
  });

  it('detaching leaves a newer session of the call in place', () => {
    const sessions = new SessionRegistry();
    const old = fakeSession('CA1');
    const newer = fakeSession('CA1');
    sessions.set(newer.session);
    detachSession(sessions, old.session, 'transferred', () => undefined);
    expect(sessions.get('CA1')).toBe(newer.session);
  });

  it('a call with two sessions closing is closing until both have closed', async () => {
    const sessions = new SessionRegistry();
    const first = slowClosing('CA1');
    const second = slowClosing('CA1');
    sessions.set(first.session);
    detachSession(sessions, first.session, 'transferred', () => undefined);
    sessions.set(second.session);
    endSession(sessions, 'CA1', () => undefined);
    second.finish();
    await Promise.resolve();
    await Promise.resolve();
    expect(sessions.isClosing('CA1')).toBe(true);
    first.finish();
    await sessions.closed();
    expect(sessions.isClosing('CA1')).toBe(false);
  });
});
