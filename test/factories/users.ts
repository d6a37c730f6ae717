import request from 'supertest';
import { randomUUID } from 'node:crypto';

export interface TestUser {
  id: string;
  name: string;
  avatar: string | null;
  token: string;
}

/** Signs up a user through the API; names are unique per call unless given. */
export async function createUser(url: string, name = `user ${randomUUID().slice(0, 8)}`): Promise<TestUser> {
  const response = await request(url).post('/users').send({ name }).expect(201);
  return response.body as TestUser;
}

export const auth = (user: TestUser) => ({ Authorization: `Bearer ${user.token}` });
