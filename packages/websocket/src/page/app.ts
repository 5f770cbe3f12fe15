/**
 * The example web client: sign in to a POP3 server from the bridge's allow-list, list the
 * messages (number, size, UID and the Subject from TOP n 0) and read one. All POP3 is core's
 * `Pop3Client`, loaded from the browser bundle the bridge serves as `browser.js`.
 */
import {
  BridgeError,
  connectBridgeClient,
  type LoginMethod,
  type Pop3Client,
  Pop3Error,
  type UpstreamHello,
  type WebSocketTransport,
} from "../browser/index.ts";
import { parseHeaders, readMessage } from "./read-message.ts";

interface BridgeInfo {
  readonly path: string;
  readonly targets: readonly { readonly name: string; readonly tls: string }[];
}

interface Session {
  readonly client: Pop3Client;
  readonly transport: WebSocketTransport;
}

const TLS_LABELS: Readonly<Record<string, string>> = {
  implicit: "TLS",
  starttls: "TLS after STLS",
  none: "not encrypted",
};

const element = <T extends HTMLElement>(id: string): T => {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`the page has no #${id}`);
  return found as T;
};

const form = element<HTMLFormElement>("login-form");
const serverSelect = element<HTMLSelectElement>("server");
const userInput = element<HTMLInputElement>("user");
const passwordInput = element<HTMLInputElement>("password");
const methodSelect = element<HTMLSelectElement>("method");
const signInButton = element<HTMLButtonElement>("sign-in");
const signOutButton = element<HTMLButtonElement>("sign-out");
const status = element<HTMLParagraphElement>("status");
const loginSection = element<HTMLElement>("login");
const mailboxSection = element<HTMLElement>("mailbox");
const connectionFacts = element<HTMLDListElement>("connection");
const caption = element<HTMLTableCaptionElement>("messages-caption");
const rows = element<HTMLTableElement>("messages").tBodies[0] as HTMLTableSectionElement;
const readerSection = element<HTMLElement>("reader");
const readerTitle = element<HTMLHeadingElement>("reader-title");
const readerHeaders = element<HTMLDListElement>("reader-headers");
const readerBody = element<HTMLPreElement>("reader-body");

let bridge: BridgeInfo = { path: "/pop3", targets: [] };
let session: Session | null = null;
let busy = false;

function say(text: string, kind: "info" | "error" = "info"): void {
  status.textContent = text;
  status.classList.toggle("error", kind === "error");
}

function explain(error: unknown): string {
  if (BridgeError.isInstance(error)) {
    return error.closeReason === ""
      ? `The bridge refused the connection (${error.closeCode ?? "no answer"}).`
      : `The bridge says: ${error.closeReason}.`;
  }
  if (Pop3Error.isInstance(error)) return `The POP3 server says: ${error.serverText}`;
  const closed = session?.transport.closeEvent;
  const suffix = closed?.reason ? ` (the connection closed: ${closed.reason})` : "";
  return `${error instanceof Error ? error.message : String(error)}${suffix}`;
}

function describeSize(octets: number): string {
  if (octets < 1024) return `${octets} B`;
  if (octets < 1024 * 1024) return `${(octets / 1024).toFixed(1)} KiB`;
  return `${(octets / 1024 / 1024).toFixed(1)} MiB`;
}

function fact(list: HTMLDListElement, term: string, value: string): void {
  const dt = document.createElement("dt");
  dt.textContent = term;
  const dd = document.createElement("dd");
  dd.textContent = value;
  list.append(dt, dd);
}

function endpoint(): string {
  const url = new URL(bridge.path, location.href);
  url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
  return url.href;
}

async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of chunks) {
    parts.push(chunk);
    length += chunk.length;
  }
  const whole = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    whole.set(part, at);
    at += part.length;
  }
  return whole;
}

async function loadBridge(): Promise<void> {
  try {
    const response = await fetch("bridge.json");
    bridge = (await response.json()) as BridgeInfo;
  } catch {
    say("Could not read the bridge's list of servers.", "error");
    return;
  }
  for (const target of bridge.targets) {
    const option = document.createElement("option");
    option.value = target.name;
    option.textContent = `${target.name} (bridge to server: ${TLS_LABELS[target.tls] ?? target.tls})`;
    serverSelect.append(option);
  }
}

function showConnection(
  upstream: UpstreamHello,
  transport: WebSocketTransport,
  user: string,
): void {
  connectionFacts.replaceChildren();
  fact(connectionFacts, "Signed in as", user);
  fact(connectionFacts, "Server", upstream.target ?? "this server");
  fact(
    connectionFacts,
    "Bridge to server",
    upstream.secure ? (TLS_LABELS[upstream.tls ?? "implicit"] ?? "TLS") : "not encrypted",
  );
  fact(
    connectionFacts,
    "This page to bridge",
    location.protocol === "https:" ? "TLS (wss://)" : "this machine only (ws:// on loopback)",
  );
  fact(connectionFacts, "Greeting", upstream.greeting);
  fact(connectionFacts, "Whole path private", transport.secure ? "yes" : "no");
}

async function listMessages(client: Pop3Client): Promise<void> {
  const listing = await client.list();
  // UIDL is optional (RFC 1939 section 7): a server without it still lists.
  const uids = new Map<number, string>();
  try {
    for (const entry of await client.uidl()) uids.set(entry.message, entry.uid);
  } catch (error) {
    if (!Pop3Error.isInstance(error)) throw error;
  }
  rows.replaceChildren();
  const total = listing.reduce((sum, entry) => sum + entry.size, 0);
  caption.textContent =
    listing.length === 0
      ? "No messages."
      : `${listing.length} message${listing.length === 1 ? "" : "s"}, ${describeSize(total)} in all.`;
  for (const entry of listing) {
    const headers = parseHeaders(
      new TextDecoder().decode(await collect(client.top(entry.message, 0))),
    );
    const row = rows.insertRow();
    row.dataset.message = String(entry.message);
    const cells = [
      String(entry.message),
      describeSize(entry.size),
      uids.get(entry.message) ?? "none",
    ];
    cells.forEach((text, index) => {
      const cell = row.insertCell();
      cell.textContent = text;
      cell.className = index < 2 ? "number narrow" : "narrow";
    });
    const subjectCell = row.insertCell();
    const open = document.createElement("button");
    open.type = "button";
    open.className = "link";
    open.textContent = headers.get("subject") || "(no subject)";
    open.addEventListener("click", () => void readOne(entry.message, row));
    subjectCell.append(open);
  }
}

async function readOne(message: number, row: HTMLTableRowElement): Promise<void> {
  if (session === null || busy) return;
  busy = true;
  say(`Reading message ${message}…`);
  try {
    const shown = readMessage(await session.client.retrBytes(message));
    for (const other of rows.rows) other.classList.toggle("current", other === row);
    readerHeaders.replaceChildren();
    for (const name of ["from", "to", "date", "subject"]) {
      const value = shown.headers.get(name);
      if (value !== undefined) fact(readerHeaders, name[0]?.toUpperCase() + name.slice(1), value);
    }
    readerTitle.textContent = `Message ${message}`;
    readerBody.textContent = shown.text;
    readerSection.hidden = false;
    readerTitle.focus();
    say(`Message ${message} is open below.`);
  } catch (error) {
    say(explain(error), "error");
  } finally {
    busy = false;
  }
}

async function signIn(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  if (busy) return;
  busy = true;
  signInButton.disabled = true;
  const target = serverSelect.value;
  const user = userInput.value;
  say(`Connecting to ${target}…`);
  try {
    const { client, transport, upstream } = await connectBridgeClient({ url: endpoint(), target });
    session = { client, transport };
    say(`Connected. Signing in as ${user}…`);
    await client.login({
      user,
      password: passwordInput.value,
      method: methodSelect.value as LoginMethod,
    });
    passwordInput.value = "";
    showConnection(upstream, transport, user);
    loginSection.hidden = true;
    mailboxSection.hidden = false;
    say("Signed in. Reading the message list…");
    await listMessages(client);
    say("Signed in. Choose a subject to read the message.");
  } catch (error) {
    say(explain(error), "error");
    await session?.client.close().catch(() => {});
    session = null;
    loginSection.hidden = false;
    mailboxSection.hidden = true;
  } finally {
    busy = false;
    signInButton.disabled = false;
  }
}

async function signOut(): Promise<void> {
  if (session === null || busy) return;
  busy = true;
  const { client } = session;
  session = null;
  try {
    await client.quit();
    say("Signed out.");
  } catch (error) {
    say(explain(error), "error");
  } finally {
    busy = false;
    mailboxSection.hidden = true;
    readerSection.hidden = true;
    loginSection.hidden = false;
    userInput.focus();
  }
}

form.addEventListener("submit", (event) => void signIn(event));
signOutButton.addEventListener("click", () => void signOut());
void loadBridge();
