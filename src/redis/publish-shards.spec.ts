import calculateSlot from 'cluster-key-slot';
import { probeChannel } from './publish-shards.js';
import { userShardChannel } from './sharded-adapter.js';

describe('probeChannel', () => {
  it('names another channel in the same slot', () => {
    for (const channel of [userShardChannel('user:0f8fad5b-d9cb-469f-a165-70867728950e'), 'plain', 'a{b}c']) {
      const probe = probeChannel(channel);
      expect(probe).not.toBe(channel);
      expect(calculateSlot(probe)).toBe(calculateSlot(channel));
    }
  });
});
