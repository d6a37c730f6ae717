import { useEffect, useState } from 'preact/hooks';
import type { Room, User } from '../contract';
import { useAutoFocus } from './bits';
import { useChat } from './use-chat';

/** Picks people who are not in the group yet and adds them (§10). */
export function AddPeople({ room, onDone }: { room: Room; onDone: () => void }) {
  const chat = useChat();
  const [query, setQuery] = useState('');
  const [found, setFound] = useState<User[]>([]);
  const [picked, setPicked] = useState<string[]>([]);
  const search = useAutoFocus<HTMLInputElement>();

  useEffect(() => {
    let current = true;
    chat
      .findPeople(query)
      .then((users) => current && setFound(users))
      .catch((error: unknown) => chat.report(error));
    return () => {
      current = false;
    };
  }, [chat, query]);

  const inRoom = new Set(room.participants.map((p) => p.id));
  const add = async (event: Event) => {
    event.preventDefault();
    try {
      await chat.addParticipants(room.id, picked);
      onDone();
    } catch (error) {
      chat.report(error);
    }
  };

  return (
    <form class="add-people" onSubmit={(e) => void add(e)} aria-label="Add people">
      <input
        type="text"
        aria-label="Find people to add"
        placeholder="Find people to add"
        ref={search}
        value={query}
        onInput={(e) => setQuery(e.currentTarget.value)}
      />
      <ul aria-label="People to add">
        {found
          .filter((u) => !inRoom.has(u.id))
          .map((user) => (
            <li key={user.id}>
              <label>
                <input
                  type="checkbox"
                  checked={picked.includes(user.id)}
                  onChange={() =>
                    setPicked((p) =>
                      p.includes(user.id) ? p.filter((id) => id !== user.id) : [...p, user.id],
                    )
                  }
                />{' '}
                {user.name}
              </label>
            </li>
          ))}
      </ul>
      <div class="row">
        <button type="submit" class="primary" disabled={picked.length === 0}>
          Add
        </button>
        <button type="button" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}
