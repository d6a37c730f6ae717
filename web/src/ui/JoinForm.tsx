import { useState } from 'preact/hooks';
import { useAutoFocus } from './bits';
import { useChat } from './use-chat';

export function JoinForm() {
  const chat = useChat();
  const [name, setName] = useState('');
  const [avatar, setAvatar] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const nameBox = useAutoFocus<HTMLInputElement>();

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await chat.join(name.trim(), avatar.trim() || null);
    } catch (e) {
      setError(e instanceof Error ? e.message : 'Could not join');
      setBusy(false);
    }
  };

  return (
    <main class="join">
      <form onSubmit={(e) => void submit(e)} aria-labelledby="join-title">
        <h1 id="join-title">Chat</h1>
        <p>Pick a name to start talking.</p>
        <label>
          Your name
          <input
            ref={nameBox}
            value={name}
            onInput={(e) => setName(e.currentTarget.value)}
            required
            maxLength={64}
            autoComplete="nickname"
          />
        </label>
        <label>
          Avatar URL (optional)
          <input
            type="url"
            value={avatar}
            onInput={(e) => setAvatar(e.currentTarget.value)}
            placeholder="https://…"
          />
        </label>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy || !name.trim()}>
          Join
        </button>
      </form>
    </main>
  );
}
