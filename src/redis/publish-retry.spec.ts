import { Logger } from '@nestjs/common';
import { PublishRetry } from './publish-retry.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));

/** A Redis link that a test can take down and bring back. */
function link() {
  const state = { up: true, sent: [] as string[] };
  const send = (_channel: string, message: string | Buffer) => {
    if (!state.up) {
      return Promise.reject(new Error('Stream is not writeable'));
    }
    state.sent.push(String(message));
    return Promise.resolve(1);
  };
  return { state, send, isReady: () => state.up };
}

const options = { maxWaiting: 3, graceMs: 50, logger: new Logger('test') };

describe('PublishRetry', () => {
  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(['error', 'warn', 'log']));

  it('sends at once while the link is up', async () => {
    const { state, send, isReady } = link();
    const retry = new PublishRetry(send, isReady, options);
    await retry.publish('c', 'a');
    expect(state.sent).toEqual(['a']);
  });

  it('holds what failed and what came after it, then sends all in publish order after the grace period', async () => {
    const { state, send, isReady } = link();
    const retry = new PublishRetry(send, isReady, options);
    await retry.publish('c', '1');
    // In flight when the link breaks, then refused while it is down.
    state.up = false;
    await Promise.all([retry.publish('c', '2'), retry.publish('c', '3')]);
    expect(retry.pending).toBe(2);
    state.up = true;
    retry.linkReady();
    // Newer ones queue behind the held ones, even with the link up.
    await retry.publish('c', '4');
    expect(state.sent).toEqual(['1']);
    await new Promise((resolve) => setTimeout(resolve, 80));
    await tick();
    expect(state.sent).toEqual(['1', '2', '3', '4']);
    expect(retry.pending).toBe(0);
    await retry.publish('c', '5');
    expect(state.sent.at(-1)).toBe('5');
    retry.close();
  });

  it('keeps at most maxWaiting, dropping the oldest', async () => {
    const { state, send, isReady } = link();
    const retry = new PublishRetry(send, isReady, { ...options, graceMs: 0 });
    state.up = false;
    for (const m of ['1', '2', '3', '4', '5']) {
      await retry.publish('c', m);
    }
    expect(retry.pending).toBe(3);
    state.up = true;
    retry.linkReady();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(state.sent).toEqual(['3', '4', '5']);
    retry.close();
  });
});
