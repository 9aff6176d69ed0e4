/** Fan-out serializes a frame once per client kind, whatever the number of receivers. */
import type { Codec, Outbound } from "../../src/protocol/commands.ts";
import { createCodecA } from "../../src/protocol/codec_a.ts";
import { createCodecB } from "../../src/protocol/codec_b.ts";
import { createSession, fanOut, type Session } from "../../src/core/session.ts";
import { assertEquals } from "../support/assert.ts";

function counting(codec: Codec): Codec & { encodes: number } {
  const counted = {
    kind: codec.kind,
    encodes: 0,
    decode: codec.decode,
    encode(event: Outbound) {
      counted.encodes++;
      return codec.encode(event);
    },
  };
  return counted;
}

function receiver(codec: Codec, sent: string[], id: string): Session {
  const session = createSession(id, codec, {
    send: (text) => sent.push(text),
    close() {},
    bufferedAmount: 0,
  });
  session.state = "open";
  return session;
}

Deno.test("fanOut: one encode per client kind, the same string to every receiver", () => {
  const a = counting(createCodecA({ maxMessageChars: 100 }));
  const b = counting(createCodecB({ maxMessageChars: 100 }));
  const sent: string[] = [];
  const receivers = [
    ...Array.from({ length: 500 }, (_, i) => receiver(a, sent, `a${i}`)),
    ...Array.from({ length: 500 }, (_, i) => receiver(b, sent, `b${i}`)),
  ];
  const message = { id: "0000000000001-000000", ts: 1, from: "alice", to: "lobby", text: "hi" };
  fanOut(receivers, { type: "channelMessage", message });
  assertEquals([a.encodes, b.encodes], [1, 1]);
  assertEquals(sent.length, 1000);
  assertEquals(new Set(sent).size, 2);
});

Deno.test("fanOut: a receiver whose connection throws does not stop the others", () => {
  const codec = createCodecA({ maxMessageChars: 100 });
  const sent: string[] = [];
  const failed: string[] = [];
  const broken = createSession("broken", codec, {
    send: () => {
      throw new Error("gone");
    },
    close() {},
    bufferedAmount: 0,
  });
  broken.state = "open";
  const receivers = [receiver(codec, sent, "first"), broken, receiver(codec, sent, "last")];
  fanOut(receivers, { type: "typing", from: "alice", to: "dev" }, {
    onFailure: (session) => failed.push(session.id),
  });
  assertEquals([sent.length, failed], [2, ["broken"]]);
});
