import { randomUUID } from 'node:crypto';

/** A new opaque id with the seed's prefix: `user_…`, `room_…`. */
export const newId = (prefix: 'user' | 'room'): string => `${prefix}_${randomUUID().replaceAll('-', '')}`;
