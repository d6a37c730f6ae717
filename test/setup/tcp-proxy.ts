import { createServer, connect, type Server, type Socket } from 'node:net';
import { findFreePort } from '../../scripts/cluster.js';

/**
 * A TCP hop between the app and a dependency that a test can break: `cut()`
 * resets every connection and refuses new ones (the dependency is down),
 * `pause()` holds traffic (the dependency hangs), `holdAnswers()` lets
 * requests through but holds the answers (the work is done, the caller does
 * not know yet), `restore()` heals them all.
 */
export class TcpProxy {
  private server: Server | null = null;
  private readonly links = new Set<{ client: Socket; upstream: Socket }>();
  private paused = false;
  private holding = false;

  private constructor(
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}

  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    const port = await findFreePort();
    const proxy = new TcpProxy(port, target);
    await proxy.listen();
    return proxy;
  }

  async cut(): Promise<void> {
    for (const { client, upstream } of this.links) {
      client.resetAndDestroy();
      upstream.destroy();
    }
    this.links.clear();
    await this.close();
  }

  pause(): void {
    this.paused = true;
    for (const { client, upstream } of this.links) {
      client.pause();
      upstream.pause();
    }
  }

  holdAnswers(): void {
    this.holding = true;
    for (const { upstream } of this.links) {
      upstream.pause();
    }
  }

  async restore(): Promise<void> {
    this.paused = false;
    this.holding = false;
    for (const { client, upstream } of this.links) {
      client.resume();
      upstream.resume();
    }
    if (!this.server) {
      await this.listen();
    }
  }

  async stop(): Promise<void> {
    await this.cut();
  }

  private listen(): Promise<void> {
    const server = createServer((client) => this.link(client));
    this.server = server;
    return new Promise((resolve) => server.listen(this.port, '127.0.0.1', resolve));
  }

  private close(): Promise<void> {
    const server = this.server;
    this.server = null;
    return new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }

  private link(client: Socket): void {
    const upstream = connect(this.target.port, this.target.host);
    const link = { client, upstream };
    this.links.add(link);
    client.pipe(upstream);
    upstream.pipe(client);
    if (this.paused) {
      client.pause();
      upstream.pause();
    } else if (this.holding) {
      upstream.pause();
    }
    const drop = () => {
      this.links.delete(link);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  }
}
