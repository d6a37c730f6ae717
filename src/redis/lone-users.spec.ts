import { jest } from '@jest/globals';
import { HANDSHAKE_WAIT_MS, LoneUsers, type Control } from './lone-users.js';

const ROOM = 'user:u1';

/** LoneUsers over a fake Redis: the test says what each `here` reached and delivers the messages. */
function setUp(skip = true) {
  const sent: Control[] = [];
  const replies: ((reached: number) => void)[] = [];
  const missed: string[] = [];
  const lone = new LoneUsers(
    {
      publish: (control) => {
        sent.push(control);
        // A reply below 0: Redis did not take it.
        return control.c === 'here'
          ? new Promise<number>((resolve, reject) =>
              replies.push((reached) => (reached < 0 ? reject(new Error('Redis away')) : resolve(reached))),
            )
          : Promise.resolve(1);
      },
      missed: (room) => missed.push(room),
    },
    skip,
  );
  const lastHere = () => sent.filter((c) => c.c === 'here').at(-1)!;
  return { lone, sent, replies, missed, lastHere };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('LoneUsers', () => {
  afterEach(() => jest.useRealTimers());

  it('takes itself to be alone once its `here` reached one subscriber and came back to it', async () => {
    const { lone, replies, lastHere } = setUp();
    lone.hold(ROOM);
    const joined = lone.handshake(ROOM);
    replies[0](1);
    await settle();
    expect(lone.isAlone(ROOM)).toBe(false); // not yet back: the one reached may be someone else
    lone.control(lastHere(), 'us', true);
    await joined;
    expect(lone.isAlone(ROOM)).toBe(true);
  });

  it('waits for the answer of every other subscriber before the join goes on, and is not alone', async () => {
    const { lone, replies, lastHere } = setUp();
    lone.hold(ROOM);
    let joined = false;
    void lone.handshake(ROOM).then(() => (joined = true));
    replies[0](3);
    lone.control(lastHere(), 'us', true);
    lone.control({ c: 'answer', r: ROOM, n: lastHere().n }, 'them', false);
    lone.control({ c: 'answer', r: ROOM, n: lastHere().n }, 'them', false); // sent twice: counts once
    await settle();
    expect(joined).toBe(false);
    lone.control({ c: 'answer', r: ROOM, n: lastHere().n }, 'others', false);
    await settle();
    expect(joined).toBe(true);
    expect(lone.isAlone(ROOM)).toBe(false);
  });

  it("stops skipping on another instance's `here`, and answers it even when it holds nobody", () => {
    const { lone, sent } = setUp();
    lone.control({ c: 'here', r: 'user:nobody', n: 'n1' }, 'them', false);
    expect(sent).toEqual([{ c: 'answer', r: 'user:nobody', n: 'n1' }]);
  });

  it('is not alone when another `here` arrived while its own was out, whatever the count', async () => {
    const { lone, replies, lastHere } = setUp();
    lone.hold(ROOM);
    const joined = lone.handshake(ROOM);
    lone.control(lastHere(), 'us', true);
    lone.control({ c: 'here', r: ROOM, n: 'theirs' }, 'them', false);
    replies[0](1);
    await joined;
    expect(lone.isAlone(ROOM)).toBe(false);
  });

  it('forgets being alone when its subscriber link breaks, and a `here` sent before the break proves nothing', async () => {
    const { lone, replies, lastHere } = setUp();
    lone.hold(ROOM);
    replies.length = 0;
    void lone.handshake(ROOM);
    replies[0](1);
    lone.control(lastHere(), 'us', true);
    await settle();
    expect(lone.isAlone(ROOM)).toBe(true);
    lone.linkBroken();
    expect(lone.isAlone(ROOM)).toBe(false);

    const again = lone.handshake(ROOM);
    lone.linkBroken();
    replies[1](1);
    lone.control(lastHere(), 'us', true);
    await again;
    expect(lone.isAlone(ROOM)).toBe(false);
  });

  it('lets the join go after HANDSHAKE_WAIT_MS and resyncs the user once the last answer comes', async () => {
    jest.useFakeTimers();
    const { lone, replies, missed, lastHere } = setUp();
    lone.hold(ROOM);
    const joined = lone.handshake(ROOM);
    replies[0](2);
    lone.control(lastHere(), 'us', true);
    jest.advanceTimersByTime(HANDSHAKE_WAIT_MS);
    await joined;
    expect(missed).toEqual([]);
    lone.control({ c: 'answer', r: ROOM, n: lastHere().n }, 'them', false);
    expect(missed).toEqual([ROOM]);
  });

  it('says `here` again while one goes unanswered (Redis did not take it), until all have answered', async () => {
    jest.useFakeTimers();
    const { lone, sent, replies, missed, lastHere } = setUp();
    lone.hold(ROOM);
    void lone.handshake(ROOM);
    replies[0](-1); // Redis away
    await Promise.resolve();
    jest.advanceTimersByTime(10_000);
    const retry = lastHere();
    expect(sent.filter((c) => c.c === 'here')).toHaveLength(2);
    replies[1](2);
    await Promise.resolve();
    lone.control(retry, 'us', true);
    lone.control({ c: 'answer', r: ROOM, n: retry.n }, 'them', false);
    expect(missed).toEqual([ROOM]); // the join had gone on without the answers
  });

  it('asks again when another holder says `bye`, and knows without skipping when told to publish anyway', async () => {
    const { lone, sent, replies, lastHere } = setUp(false);
    lone.hold(ROOM);
    void lone.handshake(ROOM);
    replies[0](2);
    lone.control(lastHere(), 'us', true);
    lone.control({ c: 'answer', r: ROOM, n: lastHere().n }, 'them', false);
    lone.control({ c: 'bye', r: ROOM }, 'them', false);
    expect(sent.filter((c) => c.c === 'here')).toHaveLength(2);
    replies[1](1);
    lone.control(lastHere(), 'us', true);
    await settle();
    expect(lone.isAlone(ROOM)).toBe(false); // publish anyway: never skips
  });
});
