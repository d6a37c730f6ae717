/**
 * Resolves or rejects as `work` does, or as `onTimeout()` does once `ms`
 * have passed, whichever comes first; the timer never outlives the race.
 */
export async function withTimeout<T>(work: Promise<T>, ms: number, onTimeout: () => T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeUp = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))).then(onTimeout);
  try {
    return await Promise.race([work, timeUp]);
  } finally {
    clearTimeout(timer);
  }
}
