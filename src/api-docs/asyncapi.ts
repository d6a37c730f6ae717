import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { ACTION_NAMES, ACTION_TABLE } from '../realtime/action-table.js';
import { ActionFailureSchema, EVENT_SCHEMAS } from '../realtime/event-schemas.js';
import { API_VERSION } from './openapi.js';

type Json = Record<string, unknown>;
const ref = (path: string) => ({ $ref: `#/${path}` });

/**
 * The AsyncAPI 3 document of the socket side, built from the action table
 * (payload DTO, result class, success key) and EVENT_SCHEMAS (one class per
 * event of ServerToClientEvents). The schemas are the OpenAPI generator's,
 * from the same decorated classes, so both documents show one shape.
 *
 * Each action is a channel `action.<name>` whose address is the Socket.IO
 * event name: the client sends the payload, the server receives it and
 * replies through the acknowledgement (success or error). Each server event
 * is a channel `event.<name>` the server sends on.
 */
export function buildAsyncApiDocument(app: INestApplication): Json {
  const actionModels = ACTION_NAMES.flatMap((name) => [ACTION_TABLE[name].dto, ACTION_TABLE[name].result]);
  const { components } = SwaggerModule.createDocument(app, new DocumentBuilder().build(), {
    extraModels: [...actionModels, ...Object.values(EVENT_SCHEMAS), ActionFailureSchema],
  });
  const schemas = reachable(
    components?.schemas ?? {},
    [...actionModels, ...Object.values(EVENT_SCHEMAS), ActionFailureSchema].map((model) => model.name),
  );
  const channels: Json = {};
  const operations: Json = {};
  const messages: Json = {
    action_failed: {
      name: 'action_failed',
      title: 'Failure acknowledgement',
      payload: ref(`components/schemas/${ActionFailureSchema.name}`),
    },
  };

  for (const name of ACTION_NAMES) {
    const { dto, result, successKey } = ACTION_TABLE[name];
    const ack = `${name}_ack`;
    messages[name] = { name, title: `${name} payload`, payload: ref(`components/schemas/${dto.name}`) };
    messages[ack] = {
      name: ack,
      title: `${name} success acknowledgement`,
      payload: {
        type: 'object',
        required: ['status', successKey],
        properties: {
          status: { type: 'string', enum: ['success'] },
          [successKey]: ref(`components/schemas/${result.name}`),
        },
      },
    };
    channels[`action.${name}`] = {
      address: name,
      messages: {
        [name]: ref(`components/messages/${name}`),
        [ack]: ref(`components/messages/${ack}`),
        action_failed: ref('components/messages/action_failed'),
      },
    };
    operations[`perform.${name}`] = {
      action: 'receive',
      summary: `The client emits \`${name}\` with a callback; the server acknowledges`,
      channel: ref(`channels/action.${name}`),
      messages: [ref(`channels/action.${name}/messages/${name}`)],
      reply: {
        channel: ref(`channels/action.${name}`),
        messages: [
          ref(`channels/action.${name}/messages/${ack}`),
          ref(`channels/action.${name}/messages/action_failed`),
        ],
      },
    };
  }

  for (const [name, schema] of Object.entries(EVENT_SCHEMAS)) {
    const id = `event_${name}`;
    messages[id] = { name, title: `${name} event`, payload: ref(`components/schemas/${schema.name}`) };
    channels[`event.${name}`] = { address: name, messages: { [name]: ref(`components/messages/${id}`) } };
    operations[`emit.${name}`] = {
      action: 'send',
      channel: ref(`channels/event.${name}`),
      messages: [ref(`channels/event.${name}/messages/${name}`)],
    };
  }

  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Chat backend: Socket.IO',
      version: API_VERSION,
      description:
        'Connect with `io(url, { auth: { token } })` (the token from POST /users). Each action is an event ' +
        'the client emits with a callback (the acknowledgement); the same payloads sent with ' +
        '`socket.send(payload)` are routed by their `action` field. A failed action without a callback ' +
        'is answered with the `exception` event.',
    },
    defaultContentType: 'application/json',
    channels,
    operations,
    components: { schemas, messages },
  };
}

/** The schemas `roots` name and every schema they refer to; the HTTP-only ones are left out. */
function reachable(all: Record<string, unknown>, roots: string[]): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  const visit = (name: string) => {
    if (name in kept || !(name in all)) {
      return;
    }
    kept[name] = all[name];
    for (const [, refName] of JSON.stringify(all[name]).matchAll(/"#\/components\/schemas\/([^"]+)"/g)) {
      visit(refName);
    }
  };
  roots.forEach(visit);
  return Object.fromEntries(
    Object.keys(kept)
      .sort()
      .map((name) => [name, kept[name]]),
  );
}

/** `/asyncapi`: the socket side's document, public like the OpenAPI one. */
export function serveAsyncApi(app: INestApplication, document: Json): void {
  const body = JSON.stringify(document);
  app
    .getHttpAdapter()
    .get('/asyncapi', (_request: unknown, response: { type(t: string): { send(b: string): void } }) =>
      response.type('application/json').send(body),
    );
}
