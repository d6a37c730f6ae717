/**
 * The figures that show whether an instance's cost follows its own users
 * or the cluster's size (issue 14): broadcasts it published to and took
 * from Redis, and packets it wrote to its own sockets. Plain counters, one set per
 * backplane (tests run several instances in one process), on the hot path
 * as plain numbers; the metrics registry copies them at scrape time into
 * `chat_redis_publishes_total`, `chat_redis_broadcasts_received_total` and
 * `chat_socket_deliveries_total` (what the scaling benchmark reads on /metrics).
 */
export class BackplaneCounters {
  /** Every broadcast message this instance handed to Redis. */
  redisPublishes = 0;
  /** Every broadcast message this instance's subscriber received, its own echoes included. */
  redisBroadcastsReceived = 0;
  /** Every packet written to one of this instance's sockets by a broadcast. */
  socketDeliveries = 0;
}
