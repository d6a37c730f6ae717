import type { NextFunction, Request, Response } from 'express';
import type { Metrics } from './metrics.js';

/**
 * Counts every HTTP answer by method, route pattern (`/rooms/:roomId/messages`,
 * never the path itself, so ids never become labels) and status, with its
 * latency. Requests that match no route share the pattern `unmatched`.
 */
export function httpMetrics(metrics: Metrics) {
  return (request: Request, response: Response, next: NextFunction): void => {
    const startedAt = performance.now();
    response.once('finish', () => {
      const pattern = (request.route as { path?: unknown } | undefined)?.path;
      const route = typeof pattern === 'string' ? pattern : 'unmatched';
      metrics.httpRequests.labels(request.method, route, String(response.statusCode)).inc();
      metrics.httpDuration.labels(request.method, route).observe((performance.now() - startedAt) / 1000);
    });
    next();
  };
}
