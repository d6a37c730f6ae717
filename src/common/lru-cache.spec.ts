import { LruCache } from './lru-cache.js';

describe('LruCache', () => {
  it('drops the least recently used entries once the total weight is over the bound', () => {
    const cache = new LruCache<string, string[]>(10, (ids) => ids.length);
    cache.set('a', ['1', '2', '3', '4']);
    cache.set('b', ['1', '2', '3', '4']);
    expect(cache.get('a')).toHaveLength(4); // a is now more recent than b
    cache.set('c', ['1', '2', '3']);
    expect([cache.peek('a'), cache.peek('b'), cache.peek('c')].map((v) => v?.length)).toEqual([
      4,
      undefined,
      3,
    ]);
    expect(cache.totalWeight).toBe(7);
  });

  it('bounds memory by weight, not count: one heavy entry evicts many light ones', () => {
    const cache = new LruCache<number, number[]>(100, (ids) => ids.length);
    for (let room = 0; room < 50; room++) {
      cache.set(room, [1, 2]);
    }
    expect(cache.size).toBe(50);
    cache.set(50, new Array<number>(100).fill(0));
    expect(cache.size).toBe(1);
    expect(cache.totalWeight).toBe(100);
  });

  it('replaces an entry in place of adding weight twice, and deletes', () => {
    const cache = new LruCache<string, number[]>(10, (ids) => ids.length);
    cache.set('a', [1, 2, 3]);
    cache.set('a', [1]);
    expect(cache.totalWeight).toBe(1);
    cache.delete('a');
    expect([cache.size, cache.totalWeight]).toEqual([0, 0]);
  });
});
