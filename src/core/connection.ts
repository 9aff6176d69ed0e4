/**
 * The contract between a runtime edge (Deno, Node) and the core: what the
 * core may do with one WebSocket, and the events the edge reports back.
 * Edges map their socket onto these; the core never sees a runtime type.
 *
 * @module
 */

/** One open WebSocket, as the core sees it. */
export interface Connection {
  /** Queues a text frame; does nothing once the socket is closing. */
  send(text: string): void;
  /** Starts the closing handshake with `code` and a short `reason`. */
  close(code: number, reason: string): void;
  /** Bytes queued for sending and not yet written to the network. */
  readonly bufferedAmount: number;
}

/** What an edge reports about one accepted connection. */
export interface ConnectionEvents {
  /** A text frame arrived. */
  text(data: string): void;
  /** A binary frame of `byteLength` bytes arrived. */
  binary(byteLength: number): void;
  /**
   * The socket closed, with the close code it got when known (may be
   * reported more than once; later reports are ignored).
   */
  closed(code?: number): void;
}
