import { describe, expect, it } from 'vitest';
import { type MarkOwner, type MarkResult, MarkTracker } from '../../src/media/marks.js';

function setup() {
  const answers: [string, MarkResult][] = [];
  const tracker = new MarkTracker((owner: MarkOwner, result) => answers.push([owner.name, result]));
  const agent = (name: string) => tracker.register({ kind: 'agent', name });
  return { answers, tracker, agent };
}

describe('MarkTracker', () => {
  it('gives every mark its own wire name, even when the agent reuses a name', () => {
    const { agent } = setup();
    const a = agent('done');
    const b = agent('done');
    expect(a).not.toBe(b);
  });

  it('answers nothing until the carrier echoes, then in order', () => {
    const { answers, tracker, agent } = setup();
    const a = agent('a');
    const b = agent('b');
    expect(answers).toEqual([]);
    tracker.echo(a);
    expect(answers).toEqual([['a', 'played']]);
    tracker.echo(b);
    expect(answers).toEqual([
      ['a', 'played'],
      ['b', 'played'],
    ]);
  });

  it('an echo of a later mark answers the earlier ones first (playback is in order)', () => {
    const { answers, tracker, agent } = setup();
    agent('a');
    const b = agent('b');
    agent('c');
    tracker.echo(b);
    expect(answers).toEqual([
      ['a', 'played'],
      ['b', 'played'],
    ]);
    expect(tracker.pendingCount).toBe(1);
  });

  it('ignores unknown and repeated echoes', () => {
    const { answers, tracker, agent } = setup();
    const a = agent('a');
    tracker.echo('nope');
    tracker.echo(a);
    tracker.echo(a);
    expect(answers).toHaveLength(1);
    expect(tracker.unknownEchoes).toBe(2);
  });

  it('a settled mark waits for the marks before it', () => {
    const { answers, tracker, agent } = setup();
    const a = agent('a');
    const b = agent('b');
    tracker.settle(b, 'dropped');
    expect(answers).toEqual([]);
    tracker.echo(a);
    expect(answers).toEqual([
      ['a', 'played'],
      ['b', 'dropped'],
    ]);
  });

  it('settleAll answers everything pending in order, and late echoes change nothing', () => {
    const { answers, tracker, agent } = setup();
    const a = agent('a');
    agent('b');
    tracker.settleAll('cleared');
    expect(answers).toEqual([
      ['a', 'cleared'],
      ['b', 'cleared'],
    ]);
    tracker.echo(a);
    expect(answers).toHaveLength(2);
  });
});
