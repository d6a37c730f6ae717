import { useState } from 'preact/hooks';
import type { Room } from '../contract';
import { isGroup, roomTitle } from '../rooms';
import { AddPeople } from './AddPeople';
import { PresenceDot } from './bits';
import { Composer } from './Composer';
import { MessageList } from './MessageList';
import { useChat } from './use-chat';

export function RoomPane() {
  const chat = useChat();
  const state = chat.openRoomId ? chat.rooms.get(chat.openRoomId) : undefined;
  if (!state) {
    return (
      <section class="room-pane empty" aria-label="No room open">
        <p class="hint">Pick a room, or a person to talk to.</p>
      </section>
    );
  }
  const room = state.room;
  const typists = chat.typing.in(room.id).map((id) => chat.people.name(id));
  return (
    <section class="room-pane" aria-labelledby="room-title">
      <RoomHeader room={room} />
      <MessageList key={room.id} roomId={room.id} />
      <div class="typing" aria-live="polite">
        {typists.length > 0 && `${typists.join(', ')} ${typists.length === 1 ? 'is' : 'are'} typing`}
      </div>
      <Composer key={room.id} roomId={room.id} />
    </section>
  );
}

function RoomHeader({ room }: { room: Room }) {
  const chat = useChat();
  const me = chat.me!.id;
  const [adding, setAdding] = useState(false);
  const others = room.participants.filter((p) => p.id !== me);
  const group = isGroup(room);

  const leave = async () => {
    try {
      await chat.leaveRoom(room.id);
    } catch (error) {
      chat.report(error);
    }
  };

  return (
    <header class="room-header">
      <button type="button" class="back" onClick={() => chat.closeRoom()}>
        <span aria-hidden="true">‹</span> Rooms
      </button>
      <div class="room-heading">
        <h2 id="room-title">{roomTitle(room, me)}</h2>
        <p class="members">
          {group
            ? `${room.participants.length} people: ${room.participants.map((p) => (p.id === me ? 'you' : p.name)).join(', ')}`
            : // While this page is offline it hears no presence: say nothing rather than something stale.
              chat.connection === 'online' &&
              others.map((p) => (
                <span key={p.id}>
                  <PresenceDot presence={chat.people.presenceOf(p.id)} />{' '}
                  {chat.people.presenceOf(p.id)?.online ? 'Online' : 'Offline'}
                </span>
              ))}
        </p>
      </div>
      {group && (
        <div class="room-actions">
          <button type="button" aria-expanded={adding} onClick={() => setAdding(!adding)}>
            Add people
          </button>
          <button type="button" onClick={() => void leave()}>
            Leave group
          </button>
        </div>
      )}
      {group && adding && <AddPeople room={room} onDone={() => setAdding(false)} />}
    </header>
  );
}
