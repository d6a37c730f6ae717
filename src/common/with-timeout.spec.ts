import { withTimeout } from './with-timeout.js';

const after = <T>(ms: number, value: T) => new Promise<T>((resolve) => setTimeout(() => resolve(value), ms));

describe('withTimeout', () => {
  it('answers with the work when it is in time', async () => {
    await expect(withTimeout(after(5, 'done'), 1_000, () => 'late')).resolves.toBe('done');
  });

  it('answers with onTimeout when the work is late, and can fail that way', async () => {
    await expect(withTimeout(after(1_000, 'done'), 5, () => 'late')).resolves.toBe('late');
    const failing = () => {
      throw new Error('no answer');
    };
    await expect(withTimeout(after(1_000, 'done'), 5, failing)).rejects.toThrow('no answer');
  });
});
