/**
 * A TCP proxy between a client and a Natter instance, to cut the network:
 * `hold()` stops passing what the server sends (an ack is lost on the way),
 * `cut()` drops every connection as a broken network would. New connections
 * pass normally.
 *
 * @module
 */

export interface TestProxy extends AsyncDisposable {
  /** `ws://127.0.0.1:PORT/ws` through the proxy. */
  ws: string;
  hold(): void;
  cut(): void;
}

export function startProxy(upstreamPort: number): TestProxy {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  interface Link {
    conns: Deno.Conn[];
    held: boolean;
  }
  const open = new Set<Link>();
  const piping: Promise<void>[] = [];
  const closeAll = (link: Link) => {
    open.delete(link);
    for (const conn of link.conns) {
      try {
        conn.close();
      } catch {
        // Already closed.
      }
    }
  };
  /** Copies `from` to `to`; what the server sends is dropped while the link is held. */
  const pipe = async (from: Deno.Conn, to: Deno.Conn, link: Link, downstream: boolean) => {
    const buffer = new Uint8Array(65536);
    try {
      while (true) {
        const read = await from.read(buffer);
        if (read === null) break;
        if (!(downstream && link.held)) await to.write(buffer.subarray(0, read));
      }
    } catch {
      // The other side is gone: the link is cut.
    }
    closeAll(link);
  };
  const accepting = (async () => {
    for await (const client of listener) {
      const server = await Deno.connect({ hostname: "127.0.0.1", port: upstreamPort });
      const link = { conns: [client, server], held: false };
      open.add(link);
      piping.push(pipe(client, server, link, false), pipe(server, client, link, true));
    }
  })().catch(() => {});
  return {
    ws: `ws://127.0.0.1:${(listener.addr as Deno.NetAddr).port}/ws`,
    hold() {
      for (const link of open) link.held = true;
    },
    cut() {
      for (const link of [...open]) closeAll(link);
    },
    async [Symbol.asyncDispose]() {
      for (const link of [...open]) closeAll(link);
      listener.close();
      await accepting;
      await Promise.all(piping);
    },
  };
}
