import type { INestApplication } from '@nestjs/common';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { NextFunction, Request, Response } from 'express';
import { readFileSync } from 'node:fs';

// Every e2e response and socket answer is checked against the committed API
// documents (openapi.json, asyncapi.json), so neither can drift from what the
// service sends: an undocumented status, a missing field or an extra one
// fails the test that caused it (api-conformance.hook.ts).

type Json = Record<string, any>;

const readDocument = (name: string): Json =>
  JSON.parse(readFileSync(new URL(`../../${name}`, import.meta.url), 'utf8')) as Json;

/** Component schemas that list their properties admit no others: the shapes are exact. */
function closeObjectSchemas(document: Json): Json {
  for (const schema of Object.values<Json>(document.components?.schemas ?? {})) {
    if (schema.properties && schema.additionalProperties === undefined) {
      schema.additionalProperties = false;
    }
  }
  return document;
}

/**
 * OpenAPI 3.0's `nullable: true` as JSON Schema: the value, or null. (Ajv's
 * own `nullable` does not reach into `allOf`, which is how a nullable $ref
 * is written, e.g. a room's `lastMessage`.)
 */
function nullableAsAnyOf(node: unknown): unknown {
  if (Array.isArray(node)) {
    return node.map(nullableAsAnyOf);
  }
  if (typeof node !== 'object' || node === null) {
    return node;
  }
  const { nullable, ...rest } = node as Json;
  const converted = Object.fromEntries(
    Object.entries(rest).map(([key, value]) => [key, nullableAsAnyOf(value)]),
  );
  return nullable === true ? { anyOf: [converted, { type: 'null' }] } : converted;
}

const prepare = (name: string): Json => nullableAsAnyOf(closeObjectSchemas(readDocument(name))) as Json;

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
// Compiled by JSON pointer into each document, so their $refs resolve in place.
ajv.addSchema(prepare('openapi.json'), 'openapi');
ajv.addSchema(prepare('asyncapi.json'), 'asyncapi');
const openapi = readDocument('openapi.json');
const asyncapi = readDocument('asyncapi.json');

const pointer = (...parts: string[]) =>
  parts.map((p) => p.replaceAll('~', '~0').replaceAll('/', '~1')).join('/');
const validators = new Map<string, ValidateFunction>();
function validator(ref: string): ValidateFunction {
  let validate = validators.get(ref);
  if (!validate) {
    validate = ajv.getSchema(ref);
    if (!validate) {
      throw new Error(`no schema at ${ref}`);
    }
    validators.set(ref, validate);
  }
  return validate;
}

/** What the documents did not describe, since the last check. */
export const violations: string[] = [];

function check(what: string, ref: string, value: unknown): void {
  const validate = validator(ref);
  if (!validate(value)) {
    violations.push(`${what}: ${ajv.errorsText(validate.errors)} in ${JSON.stringify(value).slice(0, 300)}`);
  }
}

/** Checks each JSON answer of a documented route against openapi.json. */
export function checkResponsesAgainstOpenApi(app: INestApplication): void {
  app.use((request: Request, response: Response, next: NextFunction) => {
    const json = response.json.bind(response);
    let body: unknown;
    response.json = (value: unknown) => {
      body = value;
      return json(value);
    };
    response.on('finish', () => checkResponse(request, response.statusCode, body));
    next();
  });
}

function checkResponse(request: Request, status: number, body: unknown): void {
  const route = (request.route as { path?: string } | undefined)?.path;
  if (typeof route !== 'string') {
    return; // no route matched (a 404 for an unknown path), or served outside Nest (the docs)
  }
  const path = route.replace(/:(\w+)/g, '{$1}');
  const method = request.method.toLowerCase();
  const operation = (openapi.paths as Json)[path]?.[method] as Json | undefined;
  if (!operation) {
    return; // not part of the documented API (e.g. /metrics)
  }
  const what = `${request.method} ${path} → ${status}`;
  const answer = operation.responses[status] as Json | undefined;
  if (!answer) {
    violations.push(`${what}: status not documented`);
    return;
  }
  if (answer.content?.['application/json']) {
    check(
      what,
      `openapi#/${pointer('paths', path, method, 'responses', String(status), 'content', 'application/json', 'schema')}`,
      body,
    );
  } else if (body !== undefined) {
    violations.push(`${what}: a body where none is documented`);
  }
}

/** Checks an action's acknowledgement against its reply messages in asyncapi.json. */
export function checkAck(action: string, ack: unknown): void {
  if (!(`${action}_ack` in asyncapi.components.messages)) {
    return; // `message` (routed by the payload's `action` field), or no such action
  }
  const channel = `action.${action}`;
  const replies = [`${action}_ack`, 'action_failed'];
  const passes = replies.some((message) =>
    validator(`asyncapi#/${pointer('components', 'messages', message, 'payload')}`)(ack),
  );
  if (!passes) {
    violations.push(
      `ack of ${channel}: matches neither ${replies.join(' nor ')}: ${JSON.stringify(ack).slice(0, 300)}`,
    );
  }
}

/** Checks a server event's payload against its message in asyncapi.json. */
export function checkEvent(event: string, payload: unknown): void {
  if (!(`event_${event}` in asyncapi.components.messages)) {
    violations.push(`event ${event}: not documented`);
    return;
  }
  check(
    `event ${event}`,
    `asyncapi#/${pointer('components', 'messages', `event_${event}`, 'payload')}`,
    payload,
  );
}
