import type { Socket } from 'node:net';

/**
 * Counts, from now on, the calls that hand a TCP socket's bytes to the
 * kernel: `_write` for one chunk, `_writev` for several, one system call
 * each (private members of Node's net.Socket).
 */
export function countSystemWrites(tcp: Socket): { readonly count: number } {
  const counter = { count: 0 };
  const methods = tcp as unknown as Record<'_write' | '_writev', (...args: unknown[]) => void>;
  for (const method of ['_write', '_writev'] as const) {
    const write = methods[method].bind(tcp);
    methods[method] = (...args) => {
      counter.count++;
      write(...args);
    };
  }
  return counter;
}
