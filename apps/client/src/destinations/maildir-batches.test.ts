import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { makeAccount } from "../state/account.ts";
import { MaildirBatches } from "./maildir-batches.ts";
import { MaildirDestination } from "./maildir-destination.ts";

const account = makeAccount({ user: "alice", host: "mail.example", port: 110 });
const dirs: string[] = [];

async function maildir(): Promise<MaildirDestination> {
  const dir = mkdtempSync(join(tmpdir(), "apop-batches-"));
  dirs.push(dir);
  return MaildirDestination.open({ directory: join(dir, "Maildir"), account });
}

async function* body(text: string): AsyncIterable<Uint8Array> {
  yield Buffer.from(text, "latin1");
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("MaildirBatches", () => {
  it("records every batch once it is in new/, in order, one batch at a time", async () => {
    const destination = await maildir();
    const recorded: number[][] = [];
    let recording = 0;
    const batches = new MaildirBatches<number>({
      maildir: destination,
      recorded: async (items) => {
        expect(recording).toBe(0);
        recording++;
        // Everything recorded is delivered: in new/, nothing of it left in tmp/.
        for (const n of items) expect(destination.has(`uid-${n}`)).toBe(true);
        await new Promise((resolve) => setTimeout(resolve, 2));
        recorded.push([...items]);
        recording--;
      },
    });
    for (let n = 1; n <= 100; n++) {
      const file = await destination.stage({
        uid: `uid-${n}`,
        body: body(`Subject: ${n}\r\n\r\nbody\r\n`),
        onBytes: () => {},
      });
      await batches.add(n, file);
      if (n === 40) await batches.settle();
    }
    await batches.finish();
    expect(recorded.flat()).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(recorded.map((batch) => batch.length)).toEqual([32, 8, 32, 28]);
    expect(readdirSync(join(destination.directory, "new"))).toHaveLength(100);
    expect(readdirSync(join(destination.directory, "tmp"))).toEqual([]);
  });

  it("stops at a failed batch: nothing after it is recorded, and abandon leaves nothing in tmp/", async () => {
    const destination = await maildir();
    const recorded: number[] = [];
    const batches = new MaildirBatches<number>({
      maildir: destination,
      recorded: async (items) => {
        if (items[0] === 1) throw new Error("state file full");
        recorded.push(...items);
      },
    });
    let failure: unknown = null;
    try {
      for (let n = 1; n <= 200; n++) {
        const file = await destination.stage({
          uid: `uid-${n}`,
          body: body(`${n}\r\n`),
          onBytes: () => {},
        });
        await batches.add(n, file);
      }
      await batches.finish();
    } catch (error) {
      failure = error;
      await batches.abandon();
    }
    expect((failure as Error).message).toBe("state file full");
    expect(recorded).toEqual([]);
    expect(readdirSync(join(destination.directory, "tmp"))).toEqual([]);
  });
});
