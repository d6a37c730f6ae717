import type { Request, Response } from 'express';

/**
 * Sets `Link: <…>; rel="next"`: the request's own path and query with `after`
 * set to the cursor the next page continues from.
 */
export function linkNextPage(request: Request, response: Response, after: string): void {
  const url = new URL(request.originalUrl, 'http://placeholder');
  url.searchParams.set('after', after);
  response.setHeader('Link', `<${url.pathname}${url.search}>; rel="next"`);
}
