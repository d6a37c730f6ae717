import type { IncomingMessage } from 'node:http';
import { ownOrigin } from './own-origin.js';

const requestWith = (headers: IncomingMessage['headers'], encrypted = false): IncomingMessage =>
  ({ headers, socket: { encrypted } }) as unknown as IncomingMessage;

describe('ownOrigin', () => {
  it('is the scheme of the connection and the Host header', () => {
    expect(ownOrigin(requestWith({ host: '127.0.0.1:3000' }))).toBe('http://127.0.0.1:3000');
    expect(ownOrigin(requestWith({ host: 'Chat.Example' }, true))).toBe('https://chat.example');
  });

  it('prefers what the proxy says the browser used, first hop first', () => {
    expect(
      ownOrigin(
        requestWith({
          host: 'chat',
          'x-forwarded-host': 'chat.example:8080, inner',
          'x-forwarded-proto': 'https,http',
        }),
      ),
    ).toBe('https://chat.example:8080');
  });

  it('is undefined without a host', () => {
    expect(ownOrigin(requestWith({}))).toBeUndefined();
    expect(ownOrigin(requestWith({ host: '' }))).toBeUndefined();
  });
});
