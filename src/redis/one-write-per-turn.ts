import type { Redis } from 'ioredis';

/**
 * Makes the commands sent on a single Redis link in one go leave in one
 * write: the link's socket is corked at the first and uncorked on
 * `process.nextTick`, so after the callback or promise job that sent it
 * and, when that was a promise job, every promise job queued with it (the
 * broadcasts of a commit's messages are: they publish from the promise
 * jobs that resume their sends). ioredis's auto-pipelining does this too,
 * but it builds a Pipeline per turn and routes every command through it:
 * twice the client CPU per SPUBLISH (about 20 against 11 µs, six per turn,
 * in a loop on the bench machine). Order is the link's, unchanged. Call it
 * before each command.
 */
export function oneWritePerTurn(client: Redis): () => void {
  let corked: Redis['stream'] | null = null;
  const uncork = () => {
    corked?.uncork();
    corked = null;
  };
  return () => {
    // The socket in use now: one replaced meanwhile (a reconnect) is still uncorked.
    if (corked === null && client.stream) {
      corked = client.stream;
      corked.cork();
      process.nextTick(uncork);
    }
  };
}
