import type { INestApplication } from '@nestjs/common';
import { jest } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { createApp } from '../src/app.js';
import { RoomsService } from '../src/rooms/rooms.service.js';
import { createRoom } from './factories/rooms.js';
import { auth, createUser } from './factories/users.js';
import { closeAllClients, connect, request as emit } from './setup/sockets.js';

// In a file of its own: nestjs-pino keeps one root logger per module
// registry, which the first instance of a file sets up (startInstances'
// are silent).
describe('logs', () => {
  const lines: string[] = [];
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    app = await createApp({
      env: { PORT: '0', LOG_FORMAT: 'json', LOG_LEVEL: 'debug' },
      logStream: { write: (line: string) => void lines.push(line) },
    });
    await app.listen(0, '127.0.0.1');
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  });

  afterAll(async () => {
    closeAllClients();
    await app.close();
  });

  const parsed = () => lines.map((line) => JSON.parse(line) as Record<string, any>);

  it('writes one JSON object per line with the request id, and never the token or the content', async () => {
    const [alice, bob] = await Promise.all([createUser(url, 'Alice'), createUser(url, 'Bob')]);
    const room = await createRoom(url, alice, [bob]);
    const content = `secret words ${randomUUID()}`;
    const response = await request(url)
      .post(`/rooms/${room.id}/messages`)
      .set(auth(alice))
      .set('X-Request-Id', 'req-from-the-client-1')
      .send({ messageId: randomUUID(), content })
      .expect(201);
    expect(response.headers['x-request-id']).toBe('req-from-the-client-1');
    const fresh = await request(url).get('/rooms').set(auth(alice)).expect(200);
    expect(fresh.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);

    const socket = await connect(url, alice.token, {
      extraHeaders: { 'X-Request-Id': 'socket-handshake-7' },
    });
    await emit(socket, 'create_message', { roomId: room.id, messageId: randomUUID(), content });

    const entries = parsed(); // throws unless every line is JSON
    const sent = entries.find((e) => e.requestId === 'req-from-the-client-1' && e.req?.method === 'POST');
    expect(sent).toMatchObject({ msg: 'request completed', res: { statusCode: 201 } });
    expect(sent!.req.headers.authorization).toBe('[Redacted]');
    expect(entries.find((e) => e.requestId === fresh.headers['x-request-id'])).toBeDefined();
    const action = entries.find((e) => e.msg === 'socket action answered');
    expect(action).toMatchObject({
      level: 20,
      action: 'create_message',
      outcome: 'success',
      userId: alice.id,
      requestId: 'socket-handshake-7',
    });
    const all = lines.join('\n');
    expect(all).not.toContain(alice.token);
    expect(all).not.toContain(alice.token.split('.').at(-1));
    expect(all).not.toContain(content);
  });

  it("logs a failure with the request's id, which the 500's body repeats, and not its details in the body", async () => {
    const alice = await createUser(url, 'Alice');
    const failing = jest
      .spyOn(app.get(RoomsService), 'listForUser')
      .mockRejectedValueOnce(new Error('the disk is on fire'));
    const response = await request(url)
      .get('/rooms')
      .set(auth(alice))
      .set('X-Request-Id', 'req-that-fails-2')
      .expect(500);
    failing.mockRestore();
    expect(response.body).toEqual({
      statusCode: 500,
      message: 'Internal server error',
      error: 'Internal Server Error',
      requestId: 'req-that-fails-2',
    });
    const failure = parsed().find((e) => e.level === 50 && e.requestId === 'req-that-fails-2');
    expect(failure).toMatchObject({ context: 'HTTP', msg: 'GET /rooms failed (request req-that-fails-2)' });
    expect(failure!.stack).toContain('the disk is on fire');
  });
});
