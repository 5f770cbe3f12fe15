/**
 * apop webmail: sign in to a POP3 server from the bridge's allow-list and read the mailbox
 * in two panes (side by side on a wide screen, one at a time on a phone). All POP3 is core's
 * `Pop3Client`, loaded from the browser bundle the bridge serves as `browser.js`;
 * `MailboxSession` decides what to ask for, this file only wires it to the page.
 */
import {
  BridgeError,
  connectBridgeClient,
  type LoginMethod,
  Pop3Error,
  type UpstreamHello,
  type WebSocketTransport,
} from "../browser/index.ts";
import { describeSize } from "./describe-size.ts";
import { type MessageEntry, MailboxSession } from "./mailbox-session.ts";
import { MessageList } from "./message-list.ts";
import { MessageReader } from "./message-reader.ts";

interface BridgeInfo {
  readonly path: string;
  readonly targets: readonly { readonly name: string; readonly tls: string }[];
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
const account = element<HTMLElement>("account");
const who = element<HTMLElement>("who");
const mail = element<HTMLElement>("mail");
const connectionFacts = element<HTMLDListElement>("connection");
const caption = element<HTMLTableCaptionElement>("messages-caption");
const progress = element<HTMLElement>("list-progress");
const deleteNote = element<HTMLElement>("delete-note");
const deleteText = element<HTMLElement>("delete-text");
const undeleteButton = element<HTMLButtonElement>("undelete");
const backButton = element<HTMLButtonElement>("back");
const deleteButton = element<HTMLButtonElement>("delete");
const readerTitle = element<HTMLHeadingElement>("reader-title");

const phone = window.matchMedia("(max-width: 720px)");

const list = new MessageList({
  body: element<HTMLTableElement>("messages").tBodies[0] as HTMLTableSectionElement,
  onOpen: (message) => void open(message),
  onDelete: (message) => void remove(message),
});
const reader = new MessageReader({
  title: readerTitle,
  empty: element("reader-empty"),
  message: element("reader-message"),
  headers: element("reader-headers"),
  attachments: element("attachments"),
  remoteNote: element("remote-note"),
  allowRemote: element("allow-remote"),
  frame: element("reader-frame"),
  text: element("reader-text"),
});

let bridge: BridgeInfo = { path: "/pop3", targets: [] };
let session: MailboxSession | null = null;
let transport: WebSocketTransport | null = null;
/** The message the reader shows or is fetching. */
let opened: number | null = null;
let total = 0;
let summarised = 0;

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
  const closed = transport?.closeEvent;
  const suffix = closed?.reason ? ` (the connection closed: ${closed.reason})` : "";
  return `${error instanceof Error ? error.message : String(error)}${suffix}`;
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

function showConnection(upstream: UpstreamHello, user: string, secure: boolean): void {
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
  fact(connectionFacts, "Whole path private", secure ? "yes" : "no");
}

/** One pane at a time on a phone; both on a wide screen, where this only marks the focus. */
function showPane(view: "list" | "reader"): void {
  mail.dataset.view = view;
}

function showProgress(): void {
  const inAll = `${total} message${total === 1 ? "" : "s"}`;
  progress.textContent = summarised < total ? `Loading ${summarised} of ${inAll}…` : inAll;
}

function showDeleteNote(): void {
  const count = session?.deletedCount ?? 0;
  deleteNote.hidden = count === 0;
  deleteText.textContent =
    `${count} message${count === 1 ? "" : "s"} marked for deletion. POP3 deletes ` +
    `${count === 1 ? "it" : "them"} when you sign out; closing the page instead deletes nothing.`;
  const entry = opened === null ? undefined : session?.entry(opened);
  deleteButton.hidden = entry === undefined;
  deleteButton.disabled = entry?.deleted === true;
  deleteButton.textContent = entry?.deleted === true ? "Marked for deletion" : "Delete";
}

function label(entry: MessageEntry | undefined, message: number): string {
  return entry?.summary?.subject || `Message ${message}`;
}

async function open(message: number): Promise<void> {
  const current = session;
  if (current === null) return;
  list.select(message, { focus: false });
  if (opened === message && mail.dataset.view === "reader") return;
  opened = message;
  const entry = current.entry(message);
  reader.loading(label(entry, message));
  showDeleteNote();
  showPane("reader");
  if (phone.matches) readerTitle.focus();
  try {
    const readable = await current.read(message);
    if (opened !== message || session !== current) return;
    reader.show(readable);
  } catch (error) {
    if (opened !== message || session !== current) return;
    reader.failed(label(entry, message), explain(error));
  }
}

async function remove(message: number): Promise<void> {
  const current = session;
  const entry = current?.entry(message);
  if (current === null || entry === undefined || entry.deleted) return;
  try {
    await current.delete(message);
    list.update(entry);
    showDeleteNote();
    say(`Message ${message} is marked for deletion.`);
  } catch (error) {
    say(explain(error), "error");
  }
}

async function undeleteAll(): Promise<void> {
  const current = session;
  if (current === null) return;
  try {
    await current.undeleteAll();
    for (const entry of entriesOf(current)) list.update(entry);
    showDeleteNote();
    say("Nothing is marked for deletion any more.");
  } catch (error) {
    say(explain(error), "error");
  }
}

function entriesOf(current: MailboxSession): MessageEntry[] {
  const entries: MessageEntry[] = [];
  for (let message = 1; message <= total; message++) {
    const entry = current.entry(message);
    if (entry !== undefined) entries.push(entry);
  }
  return entries;
}

function showSignedOut(): void {
  session = null;
  transport = null;
  opened = null;
  list.clear();
  reader.clear();
  mail.hidden = true;
  account.hidden = true;
  deleteNote.hidden = true;
  loginSection.hidden = false;
  signInButton.disabled = false;
  signOutButton.disabled = false;
}

async function signIn(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  if (signInButton.disabled) return;
  signInButton.disabled = true;
  const target = serverSelect.value;
  const user = userInput.value;
  say(`Connecting to ${target}…`);
  let connected: Awaited<ReturnType<typeof connectBridgeClient>> | null = null;
  try {
    connected = await connectBridgeClient({ url: endpoint(), target });
    transport = connected.transport;
    say(`Connected. Signing in as ${user}…`);
    await connected.client.login({
      user,
      password: passwordInput.value,
      method: methodSelect.value as LoginMethod,
    });
  } catch (error) {
    say(explain(error), "error");
    await connected?.client.close().catch(() => {});
    transport = null;
    signInButton.disabled = false;
    return;
  }
  passwordInput.value = "";
  showConnection(connected.upstream, user, connected.client.secure);
  const current = new MailboxSession({
    client: connected.client,
    events: {
      listed: (entries) => {
        total = entries.length;
        summarised = 0;
        caption.textContent = `${total} messages, newest first`;
        list.show(entries);
        // The keyboard starts in the list, on the newest message.
        const newest = entries[0];
        if (newest !== undefined) list.select(newest.message, { focus: true });
        showProgress();
        if (total === 0) say("Signed in. The mailbox is empty.");
      },
      summarised: (entry) => {
        summarised++;
        list.update(entry);
        showProgress();
      },
      loaded: () => {
        const size = entriesOf(current).reduce((sum, entry) => sum + entry.size, 0);
        progress.textContent = `${total} message${total === 1 ? "" : "s"}, ${describeSize(size)}`;
      },
    },
  });
  session = current;
  who.textContent = user;
  loginSection.hidden = true;
  account.hidden = false;
  mail.hidden = false;
  showPane("list");
  reader.clear();
  say("Signed in. Choose a message to read it.");
  try {
    await current.load();
  } catch (error) {
    if (session !== current) return;
    say(`The connection was lost: ${explain(error)}`, "error");
    await current.abandon();
    showSignedOut();
  }
}

async function signOut(): Promise<void> {
  const current = session;
  if (current === null || signOutButton.disabled) return;
  signOutButton.disabled = true;
  const deleting = current.deletedCount;
  say(
    deleting === 0
      ? "Signing out…"
      : `Signing out: the server now deletes ${deleting} message${deleting === 1 ? "" : "s"}…`,
  );
  try {
    await current.signOut();
    say(
      deleting === 0
        ? "Signed out."
        : `Signed out. The server deleted ${deleting} message${deleting === 1 ? "" : "s"}.`,
    );
  } catch (error) {
    say(explain(error), "error");
  } finally {
    showSignedOut();
    userInput.focus();
  }
}

form.addEventListener("submit", (event) => void signIn(event));
signOutButton.addEventListener("click", () => void signOut());
undeleteButton.addEventListener("click", () => void undeleteAll());
deleteButton.addEventListener("click", () => {
  if (opened !== null) void remove(opened);
});
backButton.addEventListener("click", () => {
  showPane("list");
  const current = list.current;
  if (current !== null) list.select(current, { focus: true });
});
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && mail.dataset.view === "reader" && !mail.hidden) {
    backButton.click();
  }
});
void loadBridge();
