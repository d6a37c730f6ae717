import { render } from 'preact';
import { Chat } from './chat';
import { App } from './ui/App';
import { ChatContext } from './ui/use-chat';
import './styles.css';

const chat = new Chat();
render(
  <ChatContext.Provider value={chat}>
    <App />
  </ChatContext.Provider>,
  document.getElementById('app')!,
);
