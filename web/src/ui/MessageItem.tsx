import { useState } from 'preact/hooks';
import type { Entry } from '../timeline';
import { timeOf, useAutoFocus } from './bits';
import { useChat } from './use-chat';

interface Props {
  entry: Entry;
  own: boolean;
  showSender: boolean;
  /** On this person's newest stored message: who has read it (null elsewhere). */
  seenBy: string[] | null;
}

export function MessageItem({ entry, own, showSender, seenBy }: Props) {
  const chat = useChat();
  const [editing, setEditing] = useState(false);
  const { message, state } = entry;
  const deleted = Boolean(message.deletedAt);

  return (
    <li class={`message${own ? ' own' : ''}${state !== 'sent' ? ` ${state}` : ''}`}>
      <div class="bubble">
        {showSender && !own && <span class="sender">{chat.people.name(message.senderId)}</span>}
        {deleted ? (
          <p class="deleted">Message deleted</p>
        ) : editing ? (
          <EditForm entry={entry} onDone={() => setEditing(false)} />
        ) : (
          <p class="content">{message.content}</p>
        )}
        <p class="meta">
          <time dateTime={message.createdAt}>{timeOf(message.createdAt)}</time>
          {message.editedAt && !deleted && <span> · edited</span>}
          {state === 'pending' && <span> · Sending…</span>}
          {state === 'failed' && (
            <span class="failed-note">
              {' · '}Not sent
              <button
                type="button"
                class="link"
                onClick={() => chat.retry(message.roomId, message.messageId)}
              >
                Retry
              </button>
            </span>
          )}
          {seenBy && <span> · {seenBy.length === 0 ? 'Sent' : seenLabel(seenBy, showSender)}</span>}
        </p>
        {own && state === 'sent' && !deleted && !editing && (
          <div class="actions">
            <button type="button" class="link" onClick={() => setEditing(true)}>
              Edit
            </button>
            <button type="button" class="link" onClick={() => void chat.remove(message)}>
              Delete
            </button>
          </div>
        )}
      </div>
    </li>
  );
}

const seenLabel = (names: string[], group: boolean): string =>
  group ? `Seen by ${names.join(', ')}` : 'Seen';

function EditForm({ entry, onDone }: { entry: Entry; onDone: () => void }) {
  const chat = useChat();
  const [text, setText] = useState(entry.message.content);
  const box = useAutoFocus<HTMLTextAreaElement>();
  const save = async () => {
    if (text.trim() && text !== entry.message.content) {
      await chat.edit(entry.message, text);
    }
    onDone();
  };
  return (
    <form
      class="edit"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <textarea
        ref={box}
        aria-label="Edit message"
        value={text}
        maxLength={4000}
        onInput={(e) => setText(e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === 'Escape') {
            onDone();
          } else if (e.key === 'Enter' && !e.shiftKey) {
            e.preventDefault();
            void save();
          }
        }}
      />
      <button type="submit" class="link">
        Save
      </button>
      <button type="button" class="link" onClick={onDone}>
        Cancel
      </button>
    </form>
  );
}
