import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Polls `check` until it holds (a check that throws counts as not yet),
 * failing after `timeoutMs` with a message naming `what`.
 */
export async function waitUntil(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (
    !(await Promise.resolve()
      .then(check)
      .catch(() => false))
  ) {
    if (Date.now() > deadline) {
      throw new Error(`${what}: not within ${timeoutMs} ms`);
    }
    await sleep(50);
  }
}
