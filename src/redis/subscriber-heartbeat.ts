import type { Redis } from 'ioredis';
import { withTimeout } from '../common/with-timeout.js';

/** How often a quiet subscriber link is asked whether it still answers, and how long it has to. */
const HEARTBEAT_MS = 3_000;
const ANSWER_MS = 2_000;
/** Unanswered asks in a row before the link is taken for dead: one late PONG (a busy loop, a Redis fork) is not. */
const MISSES = 2;

/**
 * Breaks a subscriber link that stopped answering. A connection the
 * network dropped without a word (no FIN, no RST) looks up forever while
 * nothing arrives on it. A link that delivered anything lately is alive;
 * a quiet one is PINGed, and after MISSES unanswered PINGs it is closed,
 * which reconnects and subscribes again like any break (the instance then
 * resyncs). Redis may still count the silent connection as a subscriber
 * until its own TCP gives up (minutes): it is ended there too, through
 * `commands`, by the link's own connection name. Answers how to stop.
 */
export function watchHeartbeat(sub: Redis, commands: Redis): () => void {
  let heardAt = Date.now();
  const heard = () => (heardAt = Date.now());
  for (const event of ['smessageBuffer', 'messageBuffer', 'pmessageBuffer', 'ready']) {
    sub.on(event, heard);
  }
  let misses = 0;
  const timer = setInterval(() => {
    if (sub.status !== 'ready' || Date.now() - heardAt < HEARTBEAT_MS) {
      misses = 0;
      return;
    }
    const answered = sub.ping().then(
      () => true,
      () => true, // refused: alive enough to say so, or already closing
    );
    void withTimeout(answered, ANSWER_MS, () => false).then(async (alive) => {
      misses = alive ? 0 : misses + 1;
      if (misses >= MISSES && sub.status === 'ready') {
        misses = 0;
        await endSubscriberConnections(commands, sub.options.connectionName);
        sub.disconnect(true);
      }
    });
  }, HEARTBEAT_MS);
  timer.unref();
  return () => clearInterval(timer);
}

/** CLIENT KILL of every pub/sub connection of that name (this instance's own); best effort. */
export async function endSubscriberConnections(commands: Redis, name: string | undefined): Promise<void> {
  if (!name) {
    return;
  }
  const ended = (async () => {
    const list = String(await commands.call('CLIENT', 'LIST', 'TYPE', 'pubsub'));
    const ids = list
      .split('\n')
      .filter((line) => line.includes(` name=${name} `))
      .map((line) => /\bid=(\d+)/.exec(line)?.[1])
      .filter((id) => id !== undefined);
    await Promise.all(ids.map((id) => commands.call('CLIENT', 'KILL', 'ID', id)));
  })();
  await withTimeout(ended, ANSWER_MS, () => undefined).catch(() => undefined);
}
