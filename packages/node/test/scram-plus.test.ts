// SCRAM-SHA-256-PLUS over real TLS: both channel binding types (RFC 9266 on TLS 1.3, RFC 5929
// below it), client and server on Node, and the binding data checked against OpenSSL's own
// derivation of the same values.
import { execFileSync, spawn } from "node:child_process";
import * as tls from "node:tls";
import type { Credential, Pop3Client } from "@apop/core";
import { parseScramCredential } from "@apop/core/internal";
import { describe, expect, it } from "vitest";
import { perFileTestPki } from "../../../tooling/vitest/per-file.ts";
import { connect } from "../src/index.ts";
import {
  certificateDer,
  tlsChannelBinding,
  tlsServerEndPoint,
} from "../src/tls-channel-binding.ts";
import { accounts, startServer } from "./helpers/fixtures.ts";

const pki = perFileTestPki();
// `doveadm pw -s SCRAM-SHA-256 -p pencil`
accounts.scram = parseScramCredential(
  "4096,Fz3ipQMGKAAdVATXWAjoWg==,nSdllkrl+hj5mqrSVI19Zhf/6l/kh5we7M9DPFGkpT8=,NmWxYvXWxlrhNtkJ5oIQaFOzC9fDJrDcuppolxjdqf8=",
) as Credential;

describe.each([
  ["TLSv1.3", "tls-exporter"],
  ["TLSv1.2", "tls-server-end-point"],
] as const)("SCRAM-SHA-256-PLUS between our client and server on %s", (version, type) => {
  const start = () =>
    startServer({
      tls: tls.createSecureContext({ key: pki.key, cert: pki.cert, maxVersion: version }),
    });

  it.each(["starttls", "implicit"] as const)(`auto login binds with ${type} (%s)`, async (mode) => {
    const server = await start();
    try {
      const client: Pop3Client = await connect({
        host: "127.0.0.1",
        port: mode === "implicit" ? (server.tlsPort as number) : server.port,
        tls: mode,
        ca: pki.ca,
      });
      expect((await client.capa())?.get("SASL")?.slice(0, 2)).toEqual([
        "SCRAM-SHA-256-PLUS",
        "SCRAM-SHA-256",
      ]);
      await client.login({ user: "scram", password: "pencil" });
      await client.quit();
      const events = server.events.flatMap((e) => (e.type === "session-event" ? [e.event] : []));
      expect(events).toContainEqual(
        expect.objectContaining({ type: "login-succeeded", mechanism: "SCRAM-SHA-256-PLUS" }),
      );
    } finally {
      await server.close();
    }
  });
});

describe("channel binding data against OpenSSL", () => {
  it("tls-server-end-point is the SHA-256 of the certificate, as openssl x509 -fingerprint says", () => {
    const fingerprint = execFileSync("openssl", [
      "x509",
      "-in",
      pki.certFile,
      "-noout",
      "-fingerprint",
      "-sha256",
    ])
      .toString()
      .replace(/^.*=/, "")
      .replace(/[:\s]/g, "")
      .toLowerCase();
    expect(Buffer.from(tlsServerEndPoint(certificateDer(pki.cert))).toString("hex")).toBe(
      fingerprint,
    );
  });

  it("tls-exporter equals what openssl s_client exports for EXPORTER-Channel-Binding", async () => {
    const server = tls.createServer({ key: pki.key, cert: pki.cert, minVersion: "TLSv1.3" });
    const ours = new Promise<string>((resolve) => {
      server.on("secureConnection", (socket) => {
        const binding = tlsChannelBinding({ socket, side: "server" });
        resolve(
          `${binding?.type} ${Buffer.from(binding?.data ?? [])
            .toString("hex")
            .toUpperCase()}`,
        );
        socket.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as { port: number }).port;
    const client = spawn(
      "openssl",
      [
        "s_client",
        "-connect",
        `127.0.0.1:${port}`,
        "-tls1_3",
        "-keymatexport",
        "EXPORTER-Channel-Binding",
        "-keymatexportlen",
        "32",
      ],
      { stdio: ["pipe", "pipe", "ignore"] },
    );
    let output = "";
    client.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    const exited = new Promise((resolve) => client.on("close", resolve));
    const expected = await ours;
    client.stdin.end();
    await exited;
    server.close();
    const theirs = /Keying material:\s*([0-9A-F]+)/.exec(output)?.[1];
    expect(expected).toBe(`tls-exporter ${theirs}`);
  });
});
