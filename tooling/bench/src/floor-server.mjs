// The floor: a server that answers every command with a canned reply from memory (RETR with
// the message the generator expects, in one write). Whatever the generator drives against it
// is the most this machine and generator can measure. Run as its own process:
//   node floor-server.mjs PORT WIRE_FILE
import { readFileSync } from "node:fs";
import net from "node:net";

const [port, wireFile] = process.argv.slice(2);
const retr = Buffer.concat([Buffer.from("+OK message follows\r\n"), readFileSync(wireFile)]);
const replies = {
  APOP: Buffer.from("+OK maildrop locked and ready\r\n"),
  STAT: Buffer.from("+OK 3 1700\r\n"),
  RETR: retr,
  NOOP: Buffer.from("+OK\r\n"),
  QUIT: Buffer.from("+OK bye\r\n"),
};
const unknown = Buffer.from("-ERR unknown command\r\n");

net
  .createServer((socket) => {
    socket.setNoDelay(true);
    socket.write("+OK floor ready <1.2@localhost>\r\n");
    let pending = "";
    socket.on("data", (chunk) => {
      pending += chunk.toString("latin1");
      let end = pending.indexOf("\r\n");
      while (end >= 0) {
        const keyword = pending.slice(0, Math.min(4, end)).toUpperCase();
        pending = pending.slice(end + 2);
        socket.write(replies[keyword] ?? unknown);
        if (keyword === "QUIT") socket.end();
        end = pending.indexOf("\r\n");
      }
    });
    socket.on("error", () => {});
  })
  .listen(Number(port), "127.0.0.1");
