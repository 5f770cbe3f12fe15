import { describe, expect, it } from "vitest";
import { LocalProtocolError } from "../errors/local-protocol-error.ts";
import { StoreError } from "../errors/store-error.ts";
import { MemoryStore } from "./memory-store.ts";

const ascii = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));

async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const chunk of chunks) out.push(chunk);
  return out;
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

describe("MemoryStore", () => {
  it("lists the mailboxes it was given, with wire sizes and UIDs counted from 1", async () => {
    const store = new MemoryStore({
      mailboxes: { alice: [ascii("a\nb\n"), ascii("x\r\ny"), ascii("")] },
    });
    const drop = await store.open("alice");
    expect(drop.messages).toEqual([
      { uid: "1", size: 6 },
      { uid: "2", size: 4 },
      { uid: "3", size: 0 },
    ]);
    await drop.release();
  });

  it("reads the stored bytes back, whole or in chunks", async () => {
    const message = ascii("Subject: hi\n\nbody\n");
    const whole = new MemoryStore({ mailboxes: { bob: [message] } });
    const drop = await whole.open("bob");
    expect(await collect(drop.read(0))).toEqual([message]);
    await drop.release();

    const chunked = new MemoryStore({ mailboxes: { bob: [message] }, chunkSize: 5 });
    const chunkedDrop = await chunked.open("bob");
    const chunks = await collect(chunkedDrop.read(0));
    expect(chunks.map((c) => c.length)).toEqual([5, 5, 5, 3]);
    expect(concat(chunks)).toEqual(message);
    await chunkedDrop.release();
  });

  it("copies messages in and out, so callers cannot change what is stored", async () => {
    const message = ascii("abc");
    const store = new MemoryStore();
    store.deliver("carol", message);
    message[0] = 0x7a;
    const drop = await store.open("carol");
    const [chunk] = await collect(drop.read(0));
    expect(chunk).toEqual(ascii("abc"));
    if (chunk) chunk[0] = 0x7a;
    expect(store.messages("carol")).toEqual([ascii("abc")]);
    await drop.release();
  });

  it("refuses a second open of a locked user with in-use, and allows it after release", async () => {
    const store = new MemoryStore({ mailboxes: { dave: [ascii("m")] } });
    const first = await store.open("dave");
    expect(store.isLocked("dave")).toBe(true);
    const error = await rejection(store.open("dave"));
    expect(StoreError.isInstance(error) && error.code).toBe("in-use");
    // Another user is independent.
    const other = await store.open("erin");
    await other.release();
    await first.release();
    expect(store.isLocked("dave")).toBe(false);
    const again = await store.open("dave");
    await again.release();
  });

  it("release deletes nothing and is idempotent", async () => {
    const store = new MemoryStore({ mailboxes: { fay: [ascii("1"), ascii("2")] } });
    const drop = await store.open("fay");
    await drop.release();
    await drop.release();
    expect(store.messages("fay")).toEqual([ascii("1"), ascii("2")]);
  });

  it("commit deletes exactly the named messages and releases the lock", async () => {
    const store = new MemoryStore({ mailboxes: { gus: [ascii("1"), ascii("2"), ascii("3")] } });
    const drop = await store.open("gus");
    await drop.commit([0, 2, 2]);
    expect(store.isLocked("gus")).toBe(false);
    expect(store.messages("gus")).toEqual([ascii("2")]);
    const next = await store.open("gus");
    expect(next.messages).toEqual([{ uid: "2", size: 1 }]);
    await next.release();
  });

  it("keeps the snapshot fixed: mail delivered during a session is neither listed nor deleted", async () => {
    const store = new MemoryStore({ mailboxes: { hal: [ascii("old")] } });
    const drop = await store.open("hal");
    expect(store.deliver("hal", ascii("new"))).toBe("2");
    expect(drop.messages.map((m) => m.uid)).toEqual(["1"]);
    await drop.commit([0]);
    const next = await store.open("hal");
    expect(next.messages).toEqual([{ uid: "2", size: 3 }]);
    await next.release();
  });

  it("never reuses a UID after its message is deleted", async () => {
    const store = new MemoryStore({ mailboxes: { ida: [ascii("1")] } });
    const drop = await store.open("ida");
    await drop.commit([0]);
    expect(store.deliver("ida", ascii("2"))).toBe("2");
  });

  it("opens a user without a mailbox as empty and creates nothing for them", async () => {
    const store = new MemoryStore();
    const drop = await store.open("nobody");
    expect(drop.messages).toEqual([]);
    await drop.commit([]);
    expect(store.messages("nobody")).toEqual([]);
    expect(store.isLocked("nobody")).toBe(false);
  });

  it("keeps a message delivered to an empty mailbox while it was open", async () => {
    const store = new MemoryStore();
    const drop = await store.open("jan");
    store.deliver("jan", ascii("hello"));
    await drop.release();
    expect(store.messages("jan")).toEqual([ascii("hello")]);
  });

  it("refuses a bad index and use after the end of the session", async () => {
    const store = new MemoryStore({ mailboxes: { kim: [ascii("1")] } });
    const drop = await store.open("kim");
    expect(() => drop.read(1)).toThrow(LocalProtocolError);
    const error = await rejection(drop.commit([5]));
    expect(LocalProtocolError.isInstance(error) && error.code).toBe("invalid-argument");
    // The lock is released even so, and nothing was deleted.
    expect(store.isLocked("kim")).toBe(false);
    expect(store.messages("kim")).toHaveLength(1);
    expect(() => drop.read(0)).toThrow(/after the maildrop was committed or released/);
    await expect(drop.commit([])).rejects.toThrow(LocalProtocolError);
  });

  it("rejects a chunk size that is not a positive integer", () => {
    expect(() => new MemoryStore({ chunkSize: 0 })).toThrow(LocalProtocolError);
    expect(() => new MemoryStore({ chunkSize: 1.5 })).toThrow(LocalProtocolError);
  });
});
