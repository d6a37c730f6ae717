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
    leases.add('a', 3, rate, 100);
    expect([1, 2, 3, 4].map(() => leases.take('a'))).toEqual([true, true, true, false]);
    expect(leases.take('b')).toBe(false);
  });

  it('spends nothing once the lease ended, and gives it back once: what was left and what was granted', () => {
    let now = 0;
    const leases = new TokenLeases(() => now);
    leases.add('a', 5, rate, 100);
    expect(leases.take('a')).toBe(true);
    now = LEASE_MS - 1;
    expect(leases.release()).toEqual([]);
    now = LEASE_MS;
    expect(leases.take('a')).toBe(false);
    expect(leases.release()).toEqual([{ key: 'a', tokens: 4, granted: 5, leaseEnd: 100, rate }]);
    expect(leases.release()).toEqual([]);
  });

  it('gives back a lease that was spent in full too, so the bucket stops counting it', () => {
    let now = 0;
    const leases = new TokenLeases(() => now);
    leases.add('a', 1, rate, 100);
    leases.take('a');
    now = LEASE_MS;
    expect(leases.release()).toEqual([{ key: 'a', tokens: 0, granted: 1, leaseEnd: 100, rate }]);
  });

  it('adds a grant to a running lease, which starts again and ends with the newest grant', () => {
    let now = 0;
    const leases = new TokenLeases(() => now);
    leases.add('a', 2, rate, 100);
    now = LEASE_MS - 1;
    leases.add('a', 3, rate, 200);
    now = LEASE_MS + 1;
    expect([1, 2, 3, 4, 5, 6].filter(() => leases.take('a'))).toHaveLength(5);
    now = 2 * LEASE_MS;
    expect(leases.release()).toEqual([{ key: 'a', tokens: 0, granted: 5, leaseEnd: 200, rate }]);
  });

  it('never extends a lease that ended: a new grant starts a new one, and the old one is given back', () => {
    let now = 0;
    const leases = new TokenLeases(() => now);
    leases.add('a', 4, rate, 100);
    now = LEASE_MS;
    leases.add('a', 3, rate, 300);
    expect([1, 2, 3, 4].filter(() => leases.take('a'))).toHaveLength(3);
    expect(leases.release()).toEqual([{ key: 'a', tokens: 4, granted: 4, leaseEnd: 100, rate }]);
  });

  it('gives back every lease at shutdown', () => {
    const leases = new TokenLeases(() => 0);
    leases.add('a', 2, rate, 100);
    leases.add('b', 1, rate, 100);
    leases.take('b');
    expect(leases.release(true)).toEqual([
      { key: 'a', tokens: 2, granted: 2, leaseEnd: 100, rate },
      { key: 'b', tokens: 0, granted: 1, leaseEnd: 100, rate },
    ]);
  });
});
