import { ApiProperty, type ApiPropertyOptions } from '@nestjs/swagger';

const indicators = (description: string): ApiPropertyOptions => ({
  type: 'object',
  description,
  additionalProperties: {
    type: 'object',
    properties: { status: { type: 'string', enum: ['up', 'down'] } },
    required: ['status'],
  },
});

/**
 * What @nestjs/terminus answers. Documented here rather than by terminus's
 * own decorators, which document the route only when they can `require()`
 * @nestjs/swagger, an ES module: so the document would differ by loader.
 */
export class HealthResponse {
  @ApiProperty({ enum: ['ok', 'error', 'shutting_down'] })
  status: string;

  @ApiProperty(indicators('The indicators that are up'))
  info: Record<string, unknown>;

  @ApiProperty(indicators('The indicators that are down'))
  error: Record<string, unknown>;

  @ApiProperty(indicators('Every indicator'))
  details: Record<string, unknown>;
}
