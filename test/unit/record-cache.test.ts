import { describe, expect, it } from 'vitest';
import { RecordCache } from '../../src/store/record-cache.js';

describe('RecordCache', () => {
  it('a read outside the call queue never replaces a newer version; the queue’s own reads and commits do', () => {
    const cache = new RecordCache(() => 0);
    cache.set('c1', 3, '{"v":3}');
    cache.set('c1', 2, '{"v":2}', true);
    expect(cache.get('c1')).toMatchObject({ version: 3, json: '{"v":3}' });
    cache.set('c1', 4, '{"v":4}', true);
    expect(cache.get('c1')?.version).toBe(4);
    // A call hash deleted and created again starts at version 1: the store's word wins.
    cache.set('c1', 1, '{"v":1}');
    expect(cache.get('c1')?.version).toBe(1);
  });

  it('drops an entry unused for idleMs, and the least recently used one past maxEntries', () => {
    let now = 0;
    const cache = new RecordCache(() => now, 2, 1_000);
    cache.set('a', 1, '{}');
    cache.set('b', 1, '{}');
    now = 999;
    expect(cache.get('a')?.version).toBe(1); // used: 'b' is now the least recently used
    cache.set('c', 1, '{}');
    expect(cache.get('b')).toBeUndefined();
    expect(cache.size).toBe(2);
    now = 1_998;
    expect(cache.get('a')).toBeDefined();
    now = 2_998;
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('c')).toBeUndefined();
    expect(cache.size).toBe(0);
  });
});
