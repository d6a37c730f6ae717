/** The value of an unlabelled metric in Prometheus's text format, or NaN when absent. */
export function metricValue(text: string, name: string): number {
  const line = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return line ? Number(line[1]) : Number.NaN;
}

/** Issue 14's figures from an instance's /metrics. */
export function backplaneCounters(text: string): {
  redisPublishes: number;
  redisBroadcastsReceived: number;
  socketDeliveries: number;
} {
  return {
    redisPublishes: metricValue(text, 'chat_redis_publishes_total'),
    redisBroadcastsReceived: metricValue(text, 'chat_redis_broadcasts_received_total'),
    socketDeliveries: metricValue(text, 'chat_socket_deliveries_total'),
  };
}
