/**
 * A TCP front for a test broker that can play dead: in `blackhole` mode it accepts connections and never
 * answers (what an MQTT client sees when the broker host hangs or a firewall swallows replies: it waits
 * its whole connect timeout), in `forward` mode it pipes to the real broker. Switching to `forward` cuts
 * the held connections, so the client reconnects through to the broker.
 */
import { createServer, type Socket, connect as tcpConnect } from 'node:net';
import { freePort } from './mosquitto.js';

export interface BlackholeProxy {
  url: string;
  port: number;
  forwardTo(port: number): void;
  blackhole(): void;
  close(): Promise<void>;
}

export async function startBlackholeProxy(): Promise<BlackholeProxy> {
  const port = await freePort();
  let target: number | undefined;
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    if (target === undefined) return; // hold it, say nothing
    const upstream = tcpConnect(target, '127.0.0.1');
    upstream.on('error', () => socket.destroy());
    socket.on('close', () => upstream.destroy());
    upstream.on('close', () => socket.destroy());
    socket.pipe(upstream).pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const cut = () => {
    for (const s of sockets) s.destroy();
  };
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    forwardTo(brokerPort) {
      target = brokerPort;
      cut();
    },
    blackhole() {
      target = undefined;
      cut();
    },
    close: () =>
      new Promise<void>((resolve) => {
        cut();
        server.close(() => resolve());
      }),
  };
}
