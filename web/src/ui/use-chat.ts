import { createContext } from 'preact';
import { useContext, useEffect, useState } from 'preact/hooks';
import type { Chat } from '../chat';

export const ChatContext = createContext<Chat | null>(null);

/** The chat, and a re-render whenever it changes. */
export function useChat(): Chat {
  const chat = useContext(ChatContext)!;
  const [, setVersion] = useState(0);
  useEffect(() => chat.subscribe(() => setVersion((v) => v + 1)), [chat]);
  return chat;
}
