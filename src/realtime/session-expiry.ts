import type { ChatSocket } from './events.js';

// A timer holds at most 2^31 − 1 ms (~24.8 days); a later expiry re-arms.
const MAX_TIMER_MS = 2_147_483_647;

/** Disconnects the socket when the token it connected with expires (§1). */
export function disconnectAtExpiry(socket: ChatSocket, expiresAt: Date): void {
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    const left = expiresAt.getTime() - Date.now();
    if (left <= 0) {
      socket.disconnect(true);
      return;
    }
    timer = setTimeout(arm, Math.min(left, MAX_TIMER_MS)).unref();
  };
  arm();
  socket.once('disconnect', () => clearTimeout(timer));
}
