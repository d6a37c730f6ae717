import { LEASE_MS, leaseSize, TokenLeases } from './token-leases.js';

const rate = { perSecond: 20, burst: 40 };

describe('leaseSize', () => {
  it('is half a second of the rate, and none for per-minute limits', () => {
    expect(leaseSize(rate)).toBe(10);
    expect(leaseSize({ perSecond: 5 / 60, burst: 10 })).toBe(0);
  });
});

describe('TokenLeases', () => {
  it('spends exactly the tokens granted, then none', () => {
    const leases = new TokenLeases(() => 0);
    expect(leases.take('a')).toBe(false);
    leases.add('a', 3, rate);
    expect([1, 2, 3, 4].map(() => leases.take('a'))).toEqual([true, true, true, false]);
    expect(leases.take('b')).toBe(false);
  });

  it('spends nothing once the lease expired, and gives back what was left', () => {
    let now = 0;
    const leases = new TokenLeases(() => now);
    leases.add('a', 5, rate);
    expect(leases.take('a')).toBe(true);
    now = LEASE_MS - 1;
    expect(leases.release()).toEqual([]);
    now = LEASE_MS;
    expect(leases.take('a')).toBe(false);
    expect(leases.release()).toEqual([{ key: 'a', tokens: 4, rate }]);
    expect(leases.release()).toEqual([]); // given back once
  });

  it('adds a new grant to what is left and starts the lease again', () => {
    let now = 0;
    const leases = new TokenLeases(() => now);
    leases.add('a', 2, rate);
    now = LEASE_MS - 1;
    leases.add('a', 3, rate);
    now = LEASE_MS + 1;
    expect([1, 2, 3, 4, 5, 6].filter(() => leases.take('a'))).toHaveLength(5);
  });

  it('gives back every unused token at shutdown, and nothing spent', () => {
    const leases = new TokenLeases(() => 0);
    leases.add('a', 2, rate);
    leases.add('b', 1, rate);
    leases.take('b');
    expect(leases.release(true)).toEqual([{ key: 'a', tokens: 2, rate }]);
  });
});
