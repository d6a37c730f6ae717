import { useEffect, useState } from 'preact/hooks';
import { useAutoFocus } from './bits';
import { useChat } from './use-chat';

/** Enter sends, Shift+Enter starts a new line; typing is announced to the room while it goes on. */
export function Composer({ roomId }: { roomId: string }) {
  const chat = useChat();
  const [text, setText] = useState('');
  const box = useAutoFocus<HTMLTextAreaElement>();
  useEffect(() => () => chat.stopTyping(roomId), [chat, roomId]);

  const send = () => {
    if (text.trim()) {
      chat.send(roomId, text);
      setText('');
    }
  };

  return (
    <form
      class="composer"
      onSubmit={(e) => {
        e.preventDefault();
        send();
      }}
    >
      <textarea
        ref={box}
        aria-label="Message"
        placeholder="Write a message"
        rows={1}
        maxLength={4000}
        value={text}
        onInput={(e) => {
          setText(e.currentTarget.value);
          if (e.currentTarget.value) {
            chat.typed(roomId);
          } else {
            chat.stopTyping(roomId);
          }
        }}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
            e.preventDefault();
            send();
          }
        }}
      />
      <button type="submit" class="primary" disabled={!text.trim()}>
        Send
      </button>
    </form>
  );
}
