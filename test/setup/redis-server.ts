import { spawn, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { findFreePort } from '../../scripts/cluster.js';

/** A private redis-server on its own port, so a test can kill and restart it. */
export class PrivateRedis {
  private process: ChildProcess | null = null;

  private constructor(readonly port: number) {}

  static async start(): Promise<PrivateRedis> {
    const port = await findFreePort();
    const redis = new PrivateRedis(port);
    await redis.restart();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async restart(): Promise<void> {
    this.process = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      {
        stdio: 'ignore',
      },
    );
    const client = new Redis(this.url, {
      lazyConnect: true,
      retryStrategy: () => 50,
      maxRetriesPerRequest: null,
    });
    try {
      await client.connect().catch(() => undefined);
      await client.ping();
    } finally {
      client.disconnect();
    }
  }

  async kill(): Promise<void> {
    const child = this.process;
    this.process = null;
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
  }
}
