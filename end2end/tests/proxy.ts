import { AddressInfo, Server as NetServer, Socket, connect, createServer } from "node:net";

/**
 * A TCP proxy on loopback in front of the server that can cut the network: `cut()` drops every
 * open connection (open streams included, which `context.setOffline` leaves alone) and refuses
 * new ones until `restore()`.
 */
export interface CutProxy {
  /** e.g. `http://127.0.0.1:43124`: browse this instead of the server. */
  url: string;
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function cutProxy(target: string): Promise<CutProxy> {
  const upstream = new URL(target);
  const open = new Set<Socket>();
  let down = false;
  const server: NetServer = createServer((client) => {
    if (down) {
      client.destroy();
      return;
    }
    const to = connect(Number(upstream.port), upstream.hostname);
    open.add(client);
    open.add(to);
    const drop = () => {
      client.destroy();
      to.destroy();
      open.delete(client);
      open.delete(to);
    };
    client.on("error", drop).on("close", drop);
    to.on("error", drop).on("close", drop);
    client.pipe(to);
    to.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const cut = () => {
    down = true;
    for (const socket of open) socket.destroy();
    open.clear();
  };
  return {
    url: `http://127.0.0.1:${port}`,
    cut,
    restore: () => {
      down = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        cut();
        server.close(() => resolve());
      }),
  };
}
