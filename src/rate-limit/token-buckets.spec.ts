import { LocalTokenBuckets, takeToken } from './token-buckets.js';

const rate = { perSecond: 20, burst: 40 };

describe('takeToken', () => {
  it('starts full and allows a burst of exactly `burst`', () => {
    let bucket;
    let allowed = 0;
    for (let i = 0; i < 50; i++) {
      const result = takeToken(bucket, 1_000, rate);
      bucket = result.bucket;
      allowed += result.allowed ? 1 : 0;
    }
    expect(allowed).toBe(40);
  });

  it('refills at the rate, never above the burst', () => {
    const empty = { tokens: 0, at: 0 };
    expect(takeToken(empty, 49, rate).allowed).toBe(false); // 0.98 tokens
    expect(takeToken(empty, 50, rate).allowed).toBe(true); // 1 token after 50 ms at 20/s
    expect(takeToken(empty, 60_000, rate).bucket.tokens).toBe(39);
  });
});

describe('LocalTokenBuckets', () => {
  it('keeps one bucket per key', async () => {
    const buckets = new LocalTokenBuckets(() => 0);
    const tight = { perSecond: 1, burst: 1 };
    const taken = [
      await buckets.take('a', tight),
      await buckets.take('a', tight),
      await buckets.take('b', tight),
    ];
    expect(taken).toEqual([true, false, true]);
  });
});
