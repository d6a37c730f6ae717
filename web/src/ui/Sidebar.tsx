import { useState } from 'preact/hooks';
import { roomTitle } from '../rooms';
import { Avatar, PresenceDot, timeOf } from './bits';
import { useChat } from './use-chat';

export function Sidebar() {
  return (
    <nav class="sidebar" aria-label="Conversations">
      <RoomList />
      <PeoplePanel />
    </nav>
  );
}

function RoomList() {
  const chat = useChat();
  const me = chat.me!.id;
  const rooms = chat.rooms.list;
  return (
    <section class="rooms" aria-labelledby="rooms-title">
      <h2 id="rooms-title">Rooms</h2>
      {rooms.length === 0 && <p class="hint">No rooms yet: pick someone under People.</p>}
      <ul aria-label="Rooms">
        {rooms.map(({ room, unread }) => {
          const last = room.lastMessage;
          const preview = !last ? 'No messages yet' : last.deletedAt ? 'Message deleted' : last.content;
          return (
            <li key={room.id}>
              <button
                type="button"
                class="room"
                aria-current={chat.openRoomId === room.id ? 'true' : undefined}
                onClick={() => void chat.openRoom(room.id)}
              >
                <span class="room-title">{roomTitle(room, me)}</span>
                <span class="room-time">{timeOf(last?.createdAt ?? room.createdAt)}</span>
                <span class="room-preview">
                  {last && last.senderId === me ? 'You: ' : ''}
                  {preview}
                </span>
                {unread > 0 && (
                  <span class="badge">
                    {unread}
                    <span class="sr-only"> unread</span>
                  </span>
                )}
              </button>
            </li>
          );
        })}
      </ul>
    </section>
  );
}

function PeoplePanel() {
  const chat = useChat();
  const [selected, setSelected] = useState<string[]>([]);
  const [groupName, setGroupName] = useState('');
  const [busy, setBusy] = useState(false);

  const toggle = (userId: string) =>
    setSelected((s) => (s.includes(userId) ? s.filter((id) => id !== userId) : [...s, userId]));

  const start = async (participants: string[], name?: string) => {
    setBusy(true);
    try {
      await chat.startRoom(participants, name);
      setSelected([]);
      setGroupName('');
    } catch (error) {
      chat.report(error);
    }
    setBusy(false);
  };

  return (
    <section class="people" aria-labelledby="people-title">
      <h2 id="people-title">People</h2>
      {/* type=text, not search: the contract names it a textbox (a search input is a searchbox). */}
      <input
        type="text"
        aria-label="Search people"
        placeholder="Search people"
        value={chat.people.query}
        onInput={(e) => void chat.searchPeople(e.currentTarget.value)}
      />
      <ul aria-label="People">
        {chat.people.list.map((user) => (
          <li key={user.id} class="person">
            <button type="button" disabled={busy} onClick={() => void start([user.id])}>
              <Avatar name={user.name} avatar={user.avatar} />
              <span class="person-name">{user.name}</span>
              <PresenceDot presence={chat.people.presenceOf(user.id)} />
            </button>
            <input
              type="checkbox"
              aria-label={`Pick ${user.name} for a group`}
              checked={selected.includes(user.id)}
              onChange={() => toggle(user.id)}
            />
          </li>
        ))}
      </ul>
      {chat.people.list.length === 0 && <p class="hint">Nobody found.</p>}
      {selected.length >= 2 && (
        <form
          class="group-form"
          onSubmit={(e) => {
            e.preventDefault();
            void start(selected, groupName.trim() || undefined);
          }}
        >
          <label>
            Group name
            <input value={groupName} maxLength={100} onInput={(e) => setGroupName(e.currentTarget.value)} />
          </label>
          <button type="submit" class="primary" disabled={busy}>
            Create group of {selected.length + 1}
          </button>
        </form>
      )}
    </section>
  );
}
