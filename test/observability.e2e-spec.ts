import parsePrometheusTextFormat, { type MetricFamily } from 'parse-prometheus-text-format';
import request from 'supertest';
import { createRoom, postMessage } from './factories/rooms.js';
import { createUser } from './factories/users.js';
import { startInstances, stopInstances, type Instance } from './setup/instances.js';
import { closeAllClients, connect, request as emit } from './setup/sockets.js';
import { randomUUID } from 'node:crypto';

/**
 * The sum of a family's samples with these labels (a histogram's: its count),
 * 0 when absent. (The parser drops a histogram's labels: ask for none.)
 */
function sample(families: MetricFamily[], name: string, labels: Record<string, string> = {}): number {
  const family = families.find((f) => f.name === name);
  return (family?.metrics ?? [])
    .filter((m) => Object.entries(labels).every(([key, value]) => m.labels?.[key] === value))
    .reduce((total, m) => total + Number(m.value ?? m.buckets?.['+Inf'] ?? 0), 0);
}

async function scrape(url: string, token?: string): Promise<MetricFamily[]> {
  const call = request(url).get('/metrics');
  const response = await (token ? call.set('Authorization', `Bearer ${token}`) : call).expect(200);
  expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePrometheusTextFormat(response.text);
}

describe('metrics', () => {
  let instances: Instance[];

  beforeAll(async () => {
    instances = await startInstances(1);
  });

  afterAll(async () => {
    closeAllClients();
    await stopInstances(instances);
  });

  it('serves Prometheus text at /metrics, without a token, with the process defaults', async () => {
    const families = await scrape(instances[0].url);
    const names = families.map((f) => f.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'process_cpu_seconds_total',
        'nodejs_eventloop_lag_seconds',
        'chat_sockets_connected',
        'chat_postgres_pool_in_use',
        'chat_postgres_pool_waiting',
        'chat_redis_publish_failures_total',
        'chat_redis_publishes_held',
      ]),
    );
  });

  it('moves the counters when a message is sent', async () => {
    const { url } = instances[0];
    const [alice, bob] = await Promise.all([createUser(url, 'Alice'), createUser(url, 'Bob')]);
    const room = await createRoom(url, alice, [bob]);
    const socket = await connect(url, alice.token);
    const before = await scrape(url);

    const ack = await emit(socket, 'create_message', {
      roomId: room.id,
      messageId: randomUUID(),
      content: 'hi',
    });
    expect(ack.status).toBe('success');
    await postMessage(url, alice, room.id);

    const after = await scrape(url);
    const moved = (name: string, labels?: Record<string, string>) =>
      sample(after, name, labels) - sample(before, name, labels);
    expect(sample(after, 'chat_sockets_connected')).toBeGreaterThanOrEqual(1);
    expect(moved('chat_actions_total', { action: 'create_message', outcome: 'success' })).toBe(1);
    expect(moved('chat_action_ack_seconds')).toBe(1);
    expect(moved('chat_messages_stored_total')).toBe(2);
    expect(moved('chat_message_batch_size')).toBeGreaterThanOrEqual(1);
    expect(moved('chat_broadcasts_total', { event: 'message_created' })).toBe(2);
    expect(moved('chat_broadcast_recipients_total', { event: 'message_created' })).toBe(4);
    expect(
      moved('chat_http_requests_total', { method: 'POST', route: '/rooms/:roomId/messages', status: '201' }),
    ).toBe(1);
    // No id ever becomes a label.
    const text = (await request(url).get('/metrics')).text;
    expect(text).not.toContain(room.id);
    expect(text).not.toContain(alice.id);
  });
});

describe('metrics behind METRICS_TOKEN', () => {
  const token = 'a-metrics-token-of-some-length';
  let instances: Instance[];

  beforeAll(async () => {
    instances = await startInstances(1, { METRICS_TOKEN: token });
  });

  afterAll(async () => {
    await stopInstances(instances);
  });

  it('answers 401 without the token or with another, and the metrics with it', async () => {
    const { url } = instances[0];
    await request(url).get('/metrics').expect(401);
    await request(url).get('/metrics').set('Authorization', 'Bearer not-the-metrics-token').expect(401);
    expect((await scrape(url, token)).length).toBeGreaterThan(0);
    await request(url).get('/health/live').expect(200);
  });
});
