import { JoinForm } from './JoinForm';
import { RoomPane } from './RoomPane';
import { Sidebar } from './Sidebar';
import { Avatar } from './bits';
import { useChat } from './use-chat';

export function App() {
  const chat = useChat();
  const me = chat.me;
  return (
    <div class="app">
      {chat.notice && (
        <div class="notice" role="alert">
          <span>{chat.notice}</span>
          <button type="button" class="link" onClick={() => chat.dismissNotice()}>
            Dismiss
          </button>
        </div>
      )}
      {me ? (
        <>
          <header class="topbar">
            <span class="brand">Chat</span>
            <span class="me">
              <Avatar name={me.name} avatar={me.avatar} />
              <span>{me.name}</span>
            </span>
          </header>
          <div role="status" class="offline">
            {chat.connection === 'offline' ? 'You are offline. Reconnecting…' : ''}
          </div>
          <main class={chat.openRoomId ? 'panes room-open' : 'panes'}>
            <Sidebar />
            <RoomPane />
          </main>
        </>
      ) : (
        <JoinForm />
      )}
    </div>
  );
}
