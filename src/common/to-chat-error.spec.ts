import { NotFoundException } from '@nestjs/common';
import { ChatError } from './chat-error.js';
import { isDependencyUnavailable, toChatError } from './to-chat-error.js';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('toChatError', () => {
  it('passes chat errors through and maps HTTP exceptions to contract codes', () => {
    const error = ChatError.conflict('taken');
    expect(toChatError(error)).toBe(error);
    expect(toChatError(new NotFoundException('gone'))).toMatchObject({ code: 'not_found', message: 'gone' });
  });

  it('calls a database that is away "unavailable", and a bug nothing at all', () => {
    expect(toChatError(withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'))?.code).toBe(
      'unavailable',
    );
    expect(toChatError(new TypeError('x is undefined'))).toBeNull();
  });
});

describe('isDependencyUnavailable', () => {
  it.each([
    ['a refused connection', withCode('connect ECONNREFUSED', 'ECONNREFUSED')],
    ['an admin shutdown', withCode('terminating connection due to administrator command', '57P01')],
    ['a connection exception', withCode('connection failure', '08006')],
    ['a pool timeout', new Error('timeout exceeded when trying to connect')],
    [
      'a wrapped driver error',
      Object.assign(new Error('query failed'), { driverError: withCode('x', '57P03') }),
    ],
  ])('recognises %s', (_, error) => {
    expect(isDependencyUnavailable(error)).toBe(true);
  });

  it.each([
    ['a unique violation', withCode('duplicate key', '23505')],
    ['a syntax error', withCode('syntax error', '42601')],
    ['a non-error', 'boom'],
  ])('does not mistake %s for an outage', (_, error) => {
    expect(isDependencyUnavailable(error)).toBe(false);
  });
});
