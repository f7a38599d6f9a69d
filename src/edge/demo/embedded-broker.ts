/**
 * An in-process MQTT 3.1.1 broker (aedes) on a free loopback port: used by `mask-edge demo` so a fresh
 * clone needs no system broker, and by tests as a second broker implementation.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { Aedes } from 'aedes';
import { MaskEdgeError } from '../../core/errors.js';

export interface EmbeddedBroker {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startEmbeddedBroker(
  options: { host?: string; port?: number } = {},
): Promise<EmbeddedBroker> {
  const host = options.host ?? '127.0.0.1';
  const aedes = await Aedes.createBroker({ heartbeatInterval: 3_600_000 });
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('close', () => sockets.delete(socket));
    aedes.handle(socket);
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', (cause) =>
      reject(
        new MaskEdgeError('E_BROKER', `embedded broker cannot listen on ${host}:${options.port ?? 0}`, {
          detail: { host, port: options.port ?? 0 },
          cause,
        }),
      ),
    );
    server.listen(options.port ?? 0, host, () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });
  return {
    url: `mqtt://${host}:${port}`,
    port,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
    },
  };
}
