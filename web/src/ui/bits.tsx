import type { RefObject } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import type { Presence } from '../people';

/** A picture when the person gave one, else their initial; decorative: the name is always beside it. */
export function Avatar({ name, avatar }: { name: string; avatar: string | null | undefined }) {
  if (avatar) {
    return <img class="avatar" src={avatar} alt="" referrerpolicy="no-referrer" />;
  }
  return (
    <span class="avatar initial" aria-hidden="true">
      {[...name.trim()][0]?.toUpperCase() ?? '?'}
    </span>
  );
}

/** A green or grey dot, with words for screen readers. */
export function PresenceDot({ presence }: { presence: Presence | undefined }) {
  const online = presence?.online ?? false;
  const label = online
    ? 'online'
    : presence?.lastSeenAt
      ? `last seen ${timeOf(presence.lastSeenAt)}`
      : 'offline';
  return (
    <span class={online ? 'dot on' : 'dot'} title={label}>
      <span class="sr-only">({label})</span>
    </span>
  );
}

/** 14:05 today, or 3 Mar 14:05 on another day. */
export function timeOf(iso: string): string {
  const date = new Date(iso);
  const time = date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  return date.toDateString() === new Date().toDateString()
    ? time
    : `${date.toLocaleDateString([], { day: 'numeric', month: 'short' })} ${time}`;
}

/**
 * Focus on mount. The `autofocus` attribute only acts when a page loads, not
 * on an element rendered later (an edit box, a panel).
 */
export function useAutoFocus<T extends HTMLElement>(): RefObject<T | null> {
  const ref = useRef<T>(null);
  useEffect(() => ref.current?.focus(), []);
  return ref;
}
