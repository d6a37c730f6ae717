import { Parser } from '@asyncapi/parser';
import { readFileSync } from 'node:fs';
import request from 'supertest';
import { ACTION_NAMES } from '../src/realtime/action-table.js';
import type { ServerToClientEvents } from '../src/realtime/events.js';
import { startInstances, stopInstances, type Instance } from './setup/instances.js';

const committed = (file: string): unknown =>
  JSON.parse(readFileSync(new URL(`../${file}`, import.meta.url), 'utf8'));

// Every event of the typed map, once: the compiler refuses a missing or an unknown name.
const SERVER_EVENTS: Record<keyof ServerToClientEvents, true> = {
  room_created: true,
  message_created: true,
  message_updated: true,
  message_deleted: true,
  participants_added: true,
  participant_left: true,
  room_read: true,
  typing: true,
  presence: true,
  resync: true,
  exception: true,
};

describe('API documents', () => {
  let instance: Instance;

  beforeAll(async () => {
    [instance] = await startInstances(1);
  });

  afterAll(async () => {
    await stopInstances([instance]);
  });

  it('serves the committed openapi.json at /docs-json (npm run openapi rewrites it)', async () => {
    const served = (await request(instance.url).get('/docs-json').expect(200)).body as unknown;
    expect(served).toEqual(committed('openapi.json'));
  });

  it('serves Swagger UI at /docs, without a token', async () => {
    const page = await request(instance.url).get('/docs').expect(200);
    expect(page.text).toContain('swagger-ui');
  });

  it('serves the committed asyncapi.json at /asyncapi', async () => {
    const served = (await request(instance.url).get('/asyncapi').expect(200)).body as unknown;
    expect(served).toEqual(committed('asyncapi.json'));
  });

  it('has an AsyncAPI document that parses, with exactly the action table and the server events', async () => {
    const { document, diagnostics } = await new Parser().parse(JSON.stringify(committed('asyncapi.json')));
    expect(
      diagnostics
        .filter((d) => Number(d.severity) === 0 /* DiagnosticSeverity.Error */)
        .map((d) => `${d.path.join('.')}: ${d.message}`),
    ).toEqual([]);
    const addresses = (prefix: string) =>
      document!
        .channels()
        .all()
        .filter((channel) => channel.id().startsWith(prefix))
        .map((channel) => channel.address())
        .sort();
    expect(addresses('action.')).toEqual([...ACTION_NAMES].sort());
    expect(addresses('event.')).toEqual(Object.keys(SERVER_EVENTS).sort());
    // Every action answers through its acknowledgement: success or failure.
    for (const name of ACTION_NAMES) {
      const operation = document!.operations().get(`perform.${name}`);
      const replies = operation
        ?.reply()
        ?.messages()
        .all()
        .map((message) => message.id());
      expect(replies).toEqual([`${name}_ack`, 'action_failed']);
    }
  });
});
