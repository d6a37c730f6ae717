import type { User } from './contract';

/** Who this browser is: kept in localStorage, so a reload keeps the session. */
export interface Session {
  user: User;
  token: string;
  /** ISO 8601; unknown until the first refresh. */
  expiresAt?: string;
}

const KEY = 'chat.session';

export function loadSession(): Session | null {
  try {
    const raw = localStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as Session) : null;
  } catch {
    return null;
  }
}

export function saveSession(session: Session): void {
  localStorage.setItem(KEY, JSON.stringify(session));
}

export function clearSession(): void {
  localStorage.removeItem(KEY);
}

const HOUR = 3_600_000;

/**
 * When to refresh the token: halfway to its expiry, so a laptop that slept
 * through one attempt still has time for the next; at least 10 s away and at
 * most a day (setTimeout cannot wait 30 days, and a day later is soon enough
 * to learn the real expiry if it was unknown).
 */
export function refreshDelay(session: Session, now = Date.now()): number {
  if (!session.expiresAt) {
    return HOUR;
  }
  const half = (Date.parse(session.expiresAt) - now) / 2;
  return Math.min(Math.max(half, 10_000), 24 * HOUR);
}

/**
 * The sticky key nginx uses to keep this tab's Socket.IO session on one
 * instance (deploy/nginx.conf): `?affinity=` from the page's address when
 * given (tests pin a browser to an instance that way), else one random key
 * per tab, so people behind one address still spread over the instances.
 */
export function affinityKey(): string {
  const fromUrl = new URLSearchParams(location.search).get('affinity');
  if (fromUrl) {
    return fromUrl;
  }
  let key = sessionStorage.getItem('chat.affinity');
  if (!key) {
    key = randomId();
    sessionStorage.setItem('chat.affinity', key);
  }
  return key;
}

/**
 * A fresh id of 32 hex digits: a `messageId` (1–64 of A-Z a-z 0-9 _ -).
 * getRandomValues, not randomUUID, which browsers offer only to secure
 * pages (a plain-HTTP LAN address is not one).
 */
export function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
