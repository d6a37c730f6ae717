/**
 * Resolves or rejects as `work` does, or as `onTimeout()` does once `ms`
 * have passed, whichever comes first; nothing of the race outlives it.
 *
 * After an event-loop stall a due timer runs before the I/O that arrived
 * during the stall is read, so an answer that came in time would lose. The
 * timeout therefore waits one more turn (setImmediate runs after the poll
 * phase): whatever had arrived is read first and wins.
 */
export async function withTimeout<T>(work: Promise<T>, ms: number, onTimeout: () => T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let nextTurn: NodeJS.Immediate | undefined;
  const timeUp = new Promise<void>((resolve) => {
    timer = setTimeout(() => (nextTurn = setImmediate(resolve)), ms);
  }).then(onTimeout);
  try {
    return await Promise.race([work, timeUp]);
  } finally {
    clearTimeout(timer);
    clearImmediate(nextTurn);
  }
}
