import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';

/**
 * The origin a request was addressed to, `scheme://host[:port]`, as the
 * browser saw it: a page this service served itself sends exactly this as
 * its `Origin`, so it is same-origin and never a cross-site request.
 *
 * Behind a proxy the address the browser used is in X-Forwarded-Proto and
 * X-Forwarded-Host (deploy/nginx.conf sets both; its `Host` drops the port).
 * Reading them without a trusted-proxy setting is safe here because this is
 * only ever compared with `Origin` to let a request *in*, and a hostile page
 * cannot make a browser send a forged one: a cross-origin fetch with such a
 * header is preflighted, and the preflight carries the page's real Origin
 * (refused); a WebSocket handshake cannot carry custom headers at all. A
 * non-browser client can forge anything, Origin included, so the Origin
 * check was never a defence against it (the bearer token is).
 */
export function ownOrigin(request: IncomingMessage): string | undefined {
  const host = firstValue(request.headers['x-forwarded-host']) ?? firstValue(request.headers.host);
  if (host === undefined) {
    return undefined;
  }
  const encrypted = (request.socket as Partial<TLSSocket>).encrypted === true;
  const scheme = firstValue(request.headers['x-forwarded-proto']) ?? (encrypted ? 'https' : 'http');
  return `${scheme.toLowerCase()}://${host.toLowerCase()}`;
}

/** `a, b` (one value per proxy hop) → `a`; absent or empty → undefined. */
function firstValue(header: string | string[] | undefined): string | undefined {
  const value = (Array.isArray(header) ? header[0] : header)?.split(',')[0].trim();
  return value ? value : undefined;
}
