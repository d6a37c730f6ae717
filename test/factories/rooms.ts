import request from 'supertest';
import { randomUUID } from 'node:crypto';
import type { ChangesResponse, MessageResponse } from '../../src/messages/message.response.js';
import type { RoomResponse } from '../../src/rooms/room.response.js';
import { auth, type TestUser } from './users.js';

/** Creates a room over HTTP as `creator` with the others as participants. */
export async function createRoom(url: string, creator: TestUser, others: TestUser[]): Promise<RoomResponse> {
  const response = await request(url)
    .post('/rooms')
    .set(auth(creator))
    .send({ participants: others.map((u) => u.id) });
  if (response.status !== 201 && response.status !== 200) {
    throw new Error(`room not created: ${response.status} ${JSON.stringify(response.body)}`);
  }
  return response.body as RoomResponse;
}

/** Sends a message over HTTP and returns the stored message. */
export async function postMessage(
  url: string,
  sender: TestUser,
  roomId: string,
  content = `hello ${randomUUID().slice(0, 6)}`,
  messageId: string = randomUUID(),
): Promise<MessageResponse> {
  const response = await request(url)
    .post(`/rooms/${roomId}/messages`)
    .set(auth(sender))
    .send({ messageId, content })
    .expect(201);
  return response.body as MessageResponse;
}

export async function history(
  url: string,
  user: TestUser,
  roomId: string,
  query = '',
): Promise<MessageResponse[]> {
  const response = await request(url).get(`/rooms/${roomId}/messages${query}`).set(auth(user)).expect(200);
  return response.body as MessageResponse[];
}

/** GET /rooms/:roomId/changes with the given query. */
export async function changes(
  url: string,
  user: TestUser,
  roomId: string,
  query = '',
): Promise<ChangesResponse> {
  const response = await request(url).get(`/rooms/${roomId}/changes${query}`).set(auth(user)).expect(200);
  return response.body as ChangesResponse;
}
