import { jest } from '@jest/globals';
import { MicroBatch } from './micro-batch.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('MicroBatch', () => {
  it('writes what arrives in one turn of the event loop as one batch, each caller getting its own result', async () => {
    const batches: number[][] = [];
    const group = new MicroBatch<number, string>(
      (items) => {
        batches.push(items);
        return Promise.resolve(items.map((n) => `#${n}`));
      },
      { maxBatch: 100, maxInFlight: 1 },
    );
    const results = await Promise.all([1, 2, 3].map((n) => group.submit(n)));
    expect(results).toEqual(['#1', '#2', '#3']);
    expect(batches).toEqual([[1, 2, 3]]);
  });

  it('holds new items while the limit of batches is running, then sends them together', async () => {
    const batches: number[][] = [];
    let release!: () => void;
    const firstDone = new Promise<void>((resolve) => (release = resolve));
    const group = new MicroBatch<number, number>(
      async (items) => {
        batches.push(items);
        if (batches.length === 1) {
          await firstDone;
        }
        return items;
      },
      { maxBatch: 100, maxInFlight: 1 },
    );
    const first = group.submit(1);
    await tick();
    const later = [2, 3, 4].map((n) => group.submit(n));
    await tick();
    expect(batches).toEqual([[1]]);
    release();
    await Promise.all([first, ...later]);
    expect(batches).toEqual([[1], [2, 3, 4]]);
  });

  it('never puts more than maxBatch items in one write', async () => {
    const sizes: number[] = [];
    const group = new MicroBatch<number, number>(
      (items) => {
        sizes.push(items.length);
        return Promise.resolve(items);
      },
      { maxBatch: 2, maxInFlight: 1 },
    );
    await Promise.all([1, 2, 3, 4, 5].map((n) => group.submit(n)));
    expect(sizes).toEqual([2, 2, 1]);
  });

  it('fails every item of a failed batch, and goes on with the next one', async () => {
    let calls = 0;
    const group = new MicroBatch<number, number>(
      (items) => {
        calls++;
        return calls === 1 ? Promise.reject(new Error('database down')) : Promise.resolve(items);
      },
      { maxBatch: 100, maxInFlight: 1 },
    );
    const failed = [1, 2].map((n) => group.submit(n));
    await expect(failed[0]).rejects.toThrow('database down');
    await expect(failed[1]).rejects.toThrow('database down');
    await expect(group.submit(3)).resolves.toBe(3);
  });

  describe('with minSpacingMs', () => {
    // Jest's fake timers also fake performance.now(), which MicroBatch reads.
    beforeEach(() => jest.useFakeTimers());
    afterEach(() => jest.useRealTimers());

    const spaced = () => {
      const batches: { at: number; items: number[] }[] = [];
      const group = new MicroBatch<number, number>(
        (items) => {
          batches.push({ at: Date.now(), items });
          return Promise.resolve(items);
        },
        { maxBatch: 100, maxInFlight: 2, minSpacingMs: 4 },
      );
      return { batches, group };
    };

    it('starts a write no sooner than that after the last one, with the first item after it: what arrived meanwhile rides along', async () => {
      const { batches, group } = spaced();
      const start = Date.now();
      const results = [group.submit(1)];
      await jest.advanceTimersByTimeAsync(1);
      results.push(group.submit(2));
      await jest.advanceTimersByTimeAsync(1);
      results.push(group.submit(3));
      await jest.advanceTimersByTimeAsync(3);
      // The spacing ran out at 4 and nothing came since: the write waits for the next item (or the timer at 6).
      expect(batches.map((b) => b.items)).toEqual([[1]]);
      const fourth = Date.now();
      results.push(group.submit(4));
      await jest.advanceTimersByTimeAsync(0);
      expect(batches.map((b) => b.items)).toEqual([[1], [2, 3, 4]]);
      expect(batches[0].at).toBe(start);
      expect(batches[1].at).toBe(fourth);
      await expect(Promise.all(results)).resolves.toEqual([1, 2, 3, 4]);
    });

    it('with nothing more submitted, starts the waiting write at one and a half times the spacing', async () => {
      const { batches, group } = spaced();
      const start = Date.now();
      const results = [group.submit(1)];
      await jest.advanceTimersByTimeAsync(1);
      results.push(group.submit(2));
      await jest.advanceTimersByTimeAsync(4);
      expect(batches.map((b) => b.items)).toEqual([[1]]);
      // Fake setImmediate inside a timer waits one fake ms: the batch leaves at 6 or 7.
      await jest.advanceTimersByTimeAsync(2);
      expect(batches.map((b) => b.items)).toEqual([[1], [2]]);
      expect(batches[1].at - start).toBeGreaterThanOrEqual(6);
      await expect(Promise.all(results)).resolves.toEqual([1, 2]);
    });

    it('lets an item that comes after a quiet spell go at once', async () => {
      const { batches, group } = spaced();
      await Promise.all([group.submit(1), jest.advanceTimersByTimeAsync(0)]);
      await jest.advanceTimersByTimeAsync(10);
      const quietUntil = Date.now();
      const late = group.submit(2);
      await jest.advanceTimersByTimeAsync(0);
      expect(batches.map((b) => b.items)).toEqual([[1], [2]]);
      expect(batches[1].at).toBe(quietUntil);
      await expect(late).resolves.toBe(2);
    });
  });
});
