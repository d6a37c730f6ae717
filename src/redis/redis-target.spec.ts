import { parseRedisTarget } from './redis-target.js';

describe('parseRedisTarget', () => {
  it('keeps a single Redis URL as it is', () => {
    expect(parseRedisTarget('redis://127.0.0.1:6379')).toEqual({
      cluster: false,
      url: 'redis://127.0.0.1:6379',
      host: '127.0.0.1:6379',
    });
  });

  it('reads a cluster as its seed nodes, with credentials', () => {
    expect(parseRedisTarget('redis+cluster://:s%40cret@10.0.0.1:7000,10.0.0.2:7001,redis-3')).toEqual({
      cluster: true,
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: '10.0.0.2', port: 7001 },
        { host: 'redis-3', port: 6379 },
      ],
      password: 's@cret',
      host: 'cluster 10.0.0.1:7000,10.0.0.2:7001,redis-3',
    });
  });
});
