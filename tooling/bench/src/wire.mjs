// A minimal POP3 wire reader for the load generator: as little work per byte as possible, so
// the generator is not what limits a figure (the floor row measures how much it can drive).
// It reads single-line replies and multi-line blocks off a socket and hands back the bytes
// as received (still dot-stuffed): the generator compares them with the expected wire form.

const CRLF_DOT_CRLF = Buffer.from("\r\n.\r\n");

/** Reads POP3 replies from a socket; one pending read at a time. */
export class Wire {
  /** @param {import("node:net").Socket} socket */
  constructor(socket) {
    this.socket = socket;
    /** @type {Buffer} */
    this.buffer = Buffer.alloc(0);
    this.waiter = null;
    this.closed = false;
    this.error = null;
    socket.on("data", (chunk) => this.onData(chunk));
    socket.on("error", (error) => {
      this.error = error;
      this.fail(error);
    });
    socket.on("close", () => {
      this.closed = true;
      this.fail(new Error("connection closed"));
    });
  }

  fail(error) {
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.reject(error);
  }

  onData(chunk) {
    const waiter = this.waiter;
    if (waiter === null) {
      this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
      return;
    }
    waiter.take(chunk);
  }

  /** The next single-line reply, without its CRLF, as latin1 text. */
  line() {
    return new Promise((resolve, reject) => {
      let pending = this.buffer;
      this.buffer = Buffer.alloc(0);
      const take = (chunk) => {
        pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
        const end = pending.indexOf("\r\n");
        if (end < 0) return;
        this.waiter = null;
        this.buffer = pending.subarray(end + 2);
        resolve(pending.toString("latin1", 0, end));
      };
      this.waiter = { take, reject };
      if (pending.length > 0) {
        const start = pending;
        pending = Buffer.alloc(0);
        take(start);
      } else if (this.closed) this.fail(this.error ?? new Error("connection closed"));
    });
  }

  /**
   * A status line and, if it is +OK, the block up to and including CRLF.CRLF. Resolves with
   * `{ status, octets, body }`: `octets` counts the block's wire bytes after the status line
   * (terminator included); `body` is the block's bytes when `keep` is true, else null. The
   * terminator is searched only where it can be (the last bytes), so a 10 MiB block costs
   * one pass of `indexOf` over each chunk's tail, not a rescan.
   */
  block(keep) {
    return this.line().then((status) => {
      if (!status.startsWith("+OK")) return { status, octets: 0, body: null };
      return new Promise((resolve, reject) => {
        const kept = [];
        let octets = 0;
        let tail = Buffer.from("\r\n"); // the status line's CRLF counts as the start of a line
        const take = (chunk) => {
          const joined = Buffer.concat([tail, chunk.subarray(0, Math.min(chunk.length, 5))]);
          let end = joined.indexOf(CRLF_DOT_CRLF);
          if (end >= 0) end = end - tail.length + 5;
          else {
            const at = chunk.indexOf(CRLF_DOT_CRLF);
            end = at >= 0 ? at + 5 : -1;
          }
          if (end < 0) {
            octets += chunk.length;
            if (keep) kept.push(chunk);
            tail = Buffer.concat([tail, chunk]).subarray(-4);
            return;
          }
          octets += end;
          if (keep) kept.push(chunk.subarray(0, end));
          this.waiter = null;
          this.buffer = chunk.subarray(end);
          resolve({ status, octets, body: keep ? Buffer.concat(kept) : null });
        };
        this.waiter = { take, reject };
        const start = this.buffer;
        this.buffer = Buffer.alloc(0);
        if (start.length > 0) take(start);
        else if (this.closed) this.fail(this.error ?? new Error("connection closed"));
      });
    });
  }

  send(text) {
    this.socket.write(text);
  }
}
