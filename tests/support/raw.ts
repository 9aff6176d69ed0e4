/**
 * A raw WebSocket client over TCP for hostile and stalled peers: it does
 * the upgrade handshake itself (with any headers), sends masked frames of
 * any shape, and reads nothing after the handshake, the way a peer that
 * stopped reading behaves.
 *
 * @module
 */

/** A raw connection after the upgrade. */
export interface RawClient extends Disposable {
  /**
   * Sends one frame with `opcode` (1 text, 2 binary) and the given payload;
   * with `writeBytes`, in writes of that size, a macrotask apart, the way a
   * slow link delivers it.
   */
  sendFrame(
    payload: Uint8Array,
    opcode?: number,
    fin?: boolean,
    writeBytes?: number,
  ): Promise<void>;
  /** Sends a text frame. */
  sendText(text: string): Promise<void>;
  /** Reads the next frame the server sent (unfragmented): its opcode and payload. */
  readFrame(): Promise<{ opcode: number; text: string; bytes: Uint8Array }>;
}

/** Connects to `ws://127.0.0.1:port` + `path` and completes the upgrade (or throws). */
export async function rawConnect(
  port: number,
  path: string,
  headers: Record<string, string> = {},
): Promise<RawClient> {
  const attempt = await rawUpgrade(port, path, headers);
  if (!attempt.client) throw new Error(`Upgrade refused with ${attempt.status}`);
  return attempt.client;
}

/** Tries the upgrade: the HTTP status and response head, and the open client when it was 101. */
export async function rawUpgrade(
  port: number,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; head: string; client?: RawClient }> {
  const tcp = await Deno.connect({ hostname: "127.0.0.1", port });
  const lines = [
    `GET ${path} HTTP/1.1`,
    `Host: 127.0.0.1:${port}`,
    "Upgrade: websocket",
    "Connection: Upgrade",
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
    "Sec-WebSocket-Version: 13",
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  await tcp.write(new TextEncoder().encode(lines.join("\r\n") + "\r\n\r\n"));
  // Read the response headers only; whatever follows stays unread.
  let head = "";
  const byte = new Uint8Array(1);
  while (!head.endsWith("\r\n\r\n")) {
    if (await tcp.read(byte) === null) break;
    head += String.fromCharCode(byte[0]);
  }
  const status = Number(head.match(/^HTTP\/1\.1 (\d{3})/)?.[1] ?? 0);
  if (status !== 101) {
    tcp.close();
    return { status, head };
  }

  async function sendFrame(
    payload: Uint8Array,
    opcode = 1,
    fin = true,
    writeBytes = Infinity,
  ): Promise<void> {
    const length = payload.length;
    const header = length < 126 ? 2 : length < 65536 ? 4 : 10;
    const frame = new Uint8Array(header + 4 + length);
    frame[0] = (fin ? 0x80 : 0) | opcode;
    if (length < 126) frame[1] = 0x80 | length;
    else if (length < 65536) {
      frame[1] = 0x80 | 126;
      new DataView(frame.buffer).setUint16(2, length);
    } else {
      frame[1] = 0x80 | 127;
      new DataView(frame.buffer).setBigUint64(2, BigInt(length));
    }
    const mask = crypto.getRandomValues(new Uint8Array(4));
    frame.set(mask, header);
    for (let i = 0; i < length; i++) frame[header + 4 + i] = payload[i] ^ mask[i % 4];
    let written = 0;
    while (written < frame.length) {
      written += await tcp.write(frame.subarray(written, written + writeBytes));
      if (writeBytes < frame.length) await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }

  let buffered = new Uint8Array(0);
  async function readBytes(count: number): Promise<Uint8Array> {
    while (buffered.length < count) {
      const chunk = new Uint8Array(65536);
      const read = await tcp.read(chunk);
      if (read === null) throw new Error("The server closed the connection");
      const joined = new Uint8Array(buffered.length + read);
      joined.set(buffered);
      joined.set(chunk.subarray(0, read), buffered.length);
      buffered = joined;
    }
    const bytes = buffered.slice(0, count);
    buffered = buffered.slice(count);
    return bytes;
  }

  async function readFrame(): Promise<{ opcode: number; text: string; bytes: Uint8Array }> {
    const [first, second] = await readBytes(2);
    let length = second & 0x7f;
    if (length === 126) length = new DataView((await readBytes(2)).buffer).getUint16(0);
    else if (length === 127) {
      length = Number(new DataView((await readBytes(8)).buffer).getBigUint64(0));
    }
    const bytes = await readBytes(length);
    return { opcode: first & 0x0f, text: new TextDecoder().decode(bytes), bytes };
  }

  const client: RawClient = {
    sendFrame,
    readFrame,
    sendText: (text) => sendFrame(new TextEncoder().encode(text)),
    [Symbol.dispose]() {
      try {
        tcp.close();
      } catch {
        // Already closed by the server.
      }
    },
  };
  return { status, head, client };
}
