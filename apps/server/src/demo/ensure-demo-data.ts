import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";

/** The demo account. Its secret is stored in clear, so APOP and CRAM-MD5 work. */
export const DEMO_USER = "demo";
export const DEMO_PASSWORD = "demo";

/**
 * The demo messages, with LF line ends as an MTA writes them (the server sends CRLF). Each
 * exercises something a POP3 implementation gets wrong: plain text, lines starting with a
 * dot (dot-stuffing, RFC 1939 section 3), and 8-bit UTF-8 text in the headers and body.
 */
export const DEMO_MESSAGES: readonly { readonly file: string; readonly text: string }[] = [
  {
    file: "1700000001.M1P1.apop-demo",
    text: [
      "From: apop-server <postmaster@localhost>",
      "To: demo <demo@localhost>",
      "Subject: Welcome to apop-server",
      "Date: Tue, 14 Nov 2023 22:13:21 +0000",
      "Message-ID: <welcome.1700000001@apop-demo>",
      "",
      "This is a plain text message in the demo Maildir.",
      "",
      "The demo serves its Maildir (apop-server prints where it is) to the user",
      "demo (password demo) on 127.0.0.1:1110. Messages you delete with DELE and",
      "QUIT are gone for good; remove the demo folder to get them back.",
      "",
    ].join("\n"),
  },
  {
    file: "1700000002.M2P1.apop-demo",
    text: [
      "From: apop-server <postmaster@localhost>",
      "To: demo <demo@localhost>",
      "Subject: Lines that start with a dot",
      "Date: Tue, 14 Nov 2023 22:13:22 +0000",
      "Message-ID: <dots.1700000002@apop-demo>",
      "",
      "The server doubles a leading dot on the wire and the client removes it again",
      "(RFC 1939 section 3). The next lines must arrive exactly as written:",
      ".hidden",
      "..two dots",
      ".",
      ". a dot and a space",
      "the end",
      "",
    ].join("\n"),
  },
  {
    file: "1700000003.M3P1.apop-demo",
    text: [
      "From: apop-server <postmaster@localhost>",
      "To: demo <demo@localhost>",
      "Subject: =?UTF-8?B?R3LDvMOfZSDwn46J?=",
      "Date: Tue, 14 Nov 2023 22:13:23 +0000",
      "Message-ID: <utf8.1700000003@apop-demo>",
      "MIME-Version: 1.0",
      "Content-Type: text/plain; charset=UTF-8",
      "Content-Transfer-Encoding: 8bit",
      "",
      "8-bit text, sent byte for byte:",
      "Grüße aus Köln, ¡olé!",
      "こんにちは、世界",
      "🎉",
      "",
    ].join("\n"),
  },
];

/**
 * Creates the demo's users file (`<dir>/users`, mode 0600, `demo:{PLAIN}demo`) and Maildir
 * (`<dir>/mail/demo/`) when they are missing. Existing files are left alone, so deleted
 * messages stay deleted until the folder is removed. Returns what it created.
 */
export async function ensureDemoData(dir: string): Promise<{ created: string[] }> {
  const created: string[] = [];
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const usersFile = path.join(dir, "users");
  if (!existsSync(usersFile)) {
    await writeFile(
      usersFile,
      `# apop-server demo users (Dovecot passwd-file format)\n${DEMO_USER}:{PLAIN}${DEMO_PASSWORD}\n`,
      { mode: 0o600, flag: "wx" },
    );
    created.push(usersFile);
  }
  const maildir = path.join(dir, "mail", DEMO_USER);
  if (!existsSync(maildir)) {
    for (const sub of ["cur", "new", "tmp"]) {
      await mkdir(path.join(maildir, sub), { recursive: true, mode: 0o700 });
    }
    for (const message of DEMO_MESSAGES) {
      await writeFile(path.join(maildir, "new", message.file), message.text, { mode: 0o600 });
    }
    created.push(maildir);
  }
  return { created };
}
