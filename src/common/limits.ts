/**
 * The largest HTTP body or socket frame accepted (§5): bigger ones are
 * refused by the transport before any handler sees them.
 */
export const MAX_PAYLOAD_BYTES = 64 * 1024;

/**
 * How long a client may take over its request, so idle or trickling
 * connections cannot pile up. Keep-alive outlasts the load balancer's idle
 * upstream connections (nginx closes them after 60 s): were Node to close
 * first, nginx could send a request on a connection just being closed (a 502).
 */
export const HTTP_TIMEOUTS = {
  /** Until the request's headers are in (Node requires more than keepAliveMs). */
  headersMs: 66_000,
  /** Until the whole request, body included, is in. */
  requestMs: 30_000,
  keepAliveMs: 65_000,
} as const;

/**
 * The largest `seq` or `rev` a room can reach (Postgres `integer`): a client
 * value above it is refused or capped, never handed to Postgres, which
 * would fail on it.
 */
export const MAX_COUNTER = 2_147_483_647;
