import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { readFileSync } from 'node:fs';

/** The package's version, from package.json (two folders up in both src/ and dist/). */
export const API_VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/**
 * The OpenAPI 3 document of the HTTP API, read from the controllers' and
 * DTOs' decorators. The committed `openapi.json` is this document
 * (`npm run openapi` rewrites it; a test fails when they differ).
 */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Chat backend')
    .setDescription(
      'Rooms and messages stored in Postgres and delivered over Socket.IO. ' +
        'The socket side is described by the AsyncAPI document at /asyncapi.',
    )
    .setVersion(API_VERSION)
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'The token from POST /users' })
    .build();
  return SwaggerModule.createDocument(app, config);
}

/** `/docs` (Swagger UI) and `/docs-json`, public like health. */
export function serveOpenApi(app: INestApplication, document: OpenAPIObject): void {
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json', raw: ['json'] });
}
