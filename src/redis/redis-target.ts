/**
 * What REDIS_URL names: one Redis (`redis://[user:password@]host:port[/db]`,
 * `rediss://` for TLS) or a Redis Cluster
 * (`redis+cluster://[user:password@]host1:port1,host2:port2,…`: a few of its
 * nodes, from which the client learns the rest).
 */
export type RedisTarget =
  | { cluster: false; url: string; host: string }
  | {
      cluster: true;
      nodes: { host: string; port: number }[];
      username?: string;
      password?: string;
      host: string;
    };

export const REDIS_URL_PATTERN = /^(rediss?|redis\+cluster):\/\/\S+$/;

export function parseRedisTarget(url: string): RedisTarget {
  const match = /^redis\+cluster:\/\/(?:([^:@/]*)(?::([^@/]*))?@)?([^/?#]+)\/?$/.exec(url);
  if (!match) {
    return { cluster: false, url, host: new URL(url).host };
  }
  const [, username, password, hosts] = match;
  const nodes = hosts.split(',').map((node) => {
    const [host, port] = node.trim().split(/:(?=\d+$)/);
    return { host, port: Number(port ?? 6379) };
  });
  if (nodes.some((n) => !n.host || !Number.isInteger(n.port))) {
    throw new Error(`REDIS_URL names a cluster with a malformed node list: ${hosts}`);
  }
  return {
    cluster: true,
    nodes,
    ...(username && { username: decodeURIComponent(username) }),
    ...(password && { password: decodeURIComponent(password) }),
    host: `cluster ${hosts}`,
  };
}
