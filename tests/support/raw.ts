/**
 * A raw WebSocket client over TCP for hostile and stalled peers: it does
 * the upgrade handshake itself, sends (masked) frames of any shape, and
 * reads nothing unless asked, the way a peer that stopped reading behaves.
 *
 * @module
 */

/** A raw connection after the upgrade. */
export interface RawClient extends Disposable {
  /** Sends one frame with `opcode` (1 text, 2 binary) and the given payload. */
  sendFrame(payload: Uint8Array, opcode?: number, fin?: boolean): Promise<void>;
  /** Sends a text frame. */
  sendText(text: string): Promise<void>;
}

/** Connects to `ws://127.0.0.1:port` + `path` and completes the upgrade. */
export async function rawConnect(port: number, path: string): Promise<RawClient> {
  const tcp = await Deno.connect({ hostname: "127.0.0.1", port });
  const request = `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\n` +
    "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
    "Sec-WebSocket-Version: 13\r\n\r\n";
  await tcp.write(new TextEncoder().encode(request));
  // Read the response headers only; whatever follows stays unread.
  let head = "";
  const byte = new Uint8Array(1);
  while (!head.endsWith("\r\n\r\n")) {
    if (await tcp.read(byte) === null) throw new Error(`Upgrade refused: ${head}`);
    head += String.fromCharCode(byte[0]);
  }
  if (!head.startsWith("HTTP/1.1 101")) {
    throw new Error(`Upgrade refused: ${head.split("\r\n")[0]}`);
  }
  async function sendFrame(payload: Uint8Array, opcode = 1, fin = true) {
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
    while (written < frame.length) written += await tcp.write(frame.subarray(written));
  }
  return {
    sendFrame,
    sendText: (text) => sendFrame(new TextEncoder().encode(text)),
    [Symbol.dispose]() {
      try {
        tcp.close();
      } catch {
        // Already closed by the server.
      }
    },
  };
}
