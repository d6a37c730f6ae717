import { SocketCounts } from './socket-counts.js';

describe('SocketCounts', () => {
  it('reports only the first socket in and the last socket out', () => {
    const counts = new SocketCounts();
    expect(counts.add('alice')).toBe(true);
    expect(counts.add('alice')).toBe(false);
    expect(counts.add('bob')).toBe(true);
    expect(counts.remove('alice')).toBe(false);
    expect(counts.has('alice')).toBe(true);
    expect(counts.remove('alice')).toBe(true);
    expect(counts.has('alice')).toBe(false);
    expect(counts.users()).toEqual(['bob']);
  });

  it('never goes below none: a stray disconnect is not a departure', () => {
    const counts = new SocketCounts();
    expect(counts.remove('alice')).toBe(false);
    expect(counts.add('alice')).toBe(true);
  });

  it('clears everyone at once, answering who was there', () => {
    const counts = new SocketCounts();
    counts.add('alice');
    counts.add('alice');
    counts.add('bob');
    expect(counts.clear().sort()).toEqual(['alice', 'bob']);
    expect(counts.users()).toEqual([]);
    expect(counts.add('alice')).toBe(true);
  });
});
