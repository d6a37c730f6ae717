import { useLayoutEffect, useRef } from 'preact/hooks';
import { isGroup } from '../rooms';
import type { Entry } from '../timeline';
import { MessageItem } from './MessageItem';
import { useChat } from './use-chat';

/** Near the top, the page above is read; near the bottom, new messages keep the view at the bottom. */
const EDGE_PX = 80;

export function MessageList({ roomId }: { roomId: string }) {
  const chat = useChat();
  const scroller = useRef<HTMLDivElement>(null);
  const before = useRef({ first: '', fromBottom: 0, atBottom: true });
  const loading = useRef(false);
  const timeline = chat.timelines.get(roomId);
  const state = chat.rooms.get(roomId)!;
  const entries = timeline?.entries ?? [];
  const me = chat.me!.id;

  // After each render: a page added above keeps what was on screen in place;
  // otherwise a view that was at the bottom stays there.
  useLayoutEffect(() => {
    const el = scroller.current!;
    const first = entries[0]?.message.messageId ?? '';
    if (before.current.first && first !== before.current.first && !before.current.atBottom) {
      el.scrollTop = el.scrollHeight - before.current.fromBottom;
    } else if (before.current.atBottom) {
      el.scrollTop = el.scrollHeight;
    }
    before.current.first = first;
    // A first page shorter than the view has nothing to scroll: read on.
    if (el.scrollHeight <= el.clientHeight && timeline?.hasOlder && entries.length > 0) {
      void loadOlder();
    }
  });

  const loadOlder = async () => {
    if (loading.current) {
      return;
    }
    loading.current = true;
    await chat.loadOlder(roomId);
    loading.current = false;
  };

  const onScroll = () => {
    const el = scroller.current!;
    const fromBottom = el.scrollHeight - el.scrollTop;
    before.current = { ...before.current, fromBottom, atBottom: fromBottom - el.clientHeight < EDGE_PX };
    if (el.scrollTop < EDGE_PX && timeline?.hasOlder) {
      void loadOlder();
    }
  };

  const lastOwn = entries.findLast((e) => e.message.senderId === me && e.state === 'sent');
  return (
    <div class="scroller" ref={scroller} onScroll={onScroll}>
      {timeline?.hasOlder && entries.length > 0 && (
        <button type="button" class="link older" onClick={() => void loadOlder()}>
          Load older messages
        </button>
      )}
      <ol class="messages" aria-label="Messages">
        {entries.map((entry: Entry) => (
          <MessageItem
            key={entry.message.messageId}
            entry={entry}
            own={entry.message.senderId === me}
            showSender={isGroup(state.room)}
            seenBy={
              entry === lastOwn
                ? seenBy(state.reads, entry.message.seq, me, (id) => chat.people.name(id))
                : null
            }
          />
        ))}
      </ol>
      {timeline && entries.length === 0 && <p class="hint">No messages yet. Say hello!</p>}
    </div>
  );
}

/** The others whose read marker has reached `seq`. */
function seenBy(reads: Map<string, number>, seq: number, me: string, name: (id: string) => string): string[] {
  return [...reads].filter(([userId, read]) => userId !== me && read >= seq).map(([userId]) => name(userId));
}
