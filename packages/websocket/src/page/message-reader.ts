/**
 * The reading pane. Plain text goes into a `<pre>`; HTML mail goes into a sandboxed frame
 * (scripts for the frame's own loader only, and no `allow-same-origin`, so the mail can
 * never reach this page, its storage or its connection) loaded from the bridge's
 * `message-frame.html`, whose policy allows inline styles and `data:` images and, only after
 * the reader asks for this message, remote images. Attachments are listed as downloads.
 */
import { encodeBase64 } from "../browser/index.ts";
import { describeSize } from "./describe-size.ts";
import type { AttachmentPart, ReadableMessage } from "./parse-message.ts";

/** What the frame's loader sends back (frame.ts). */
type FrameReport = { readonly type: "ready" } | { readonly type: "rendered"; remoteImages: number };

const FRAME_PAGE = "message-frame.html";

export interface MessageReaderElements {
  readonly title: HTMLHeadingElement;
  readonly empty: HTMLElement;
  readonly message: HTMLElement;
  readonly headers: HTMLDListElement;
  readonly attachments: HTMLUListElement;
  readonly remoteNote: HTMLElement;
  readonly allowRemote: HTMLButtonElement;
  readonly frame: HTMLIFrameElement;
  readonly text: HTMLPreElement;
}

export class MessageReader {
  readonly #elements: MessageReaderElements;
  #frame: HTMLIFrameElement;
  #html: string | null = null;
  #remoteAllowed = false;
  #downloads: string[] = [];

  constructor(elements: MessageReaderElements) {
    this.#elements = elements;
    this.#frame = elements.frame;
    window.addEventListener("message", (event) => this.#onFrameMessage(event));
    elements.allowRemote.addEventListener("click", () => {
      this.#remoteAllowed = true;
      this.#elements.remoteNote.hidden = true;
      this.#loadFrame();
    });
  }

  /** Nothing open. */
  clear(): void {
    this.#reset();
    this.#elements.title.textContent = "No message open";
    this.#elements.empty.textContent = "Choose a message to read it here.";
    this.#elements.empty.hidden = false;
  }

  /** A message is on its way (RETR queued). */
  loading(label: string): void {
    this.#reset();
    this.#elements.title.textContent = label;
    this.#elements.empty.textContent = "Loading the message…";
    this.#elements.empty.hidden = false;
  }

  failed(label: string, problem: string): void {
    this.#reset();
    this.#elements.title.textContent = label;
    this.#elements.empty.textContent = problem;
    this.#elements.empty.hidden = false;
  }

  show(message: ReadableMessage): void {
    this.#reset();
    const { title, headers, empty } = this.#elements;
    title.textContent = message.subject || "(no subject)";
    empty.hidden = true;
    for (const [term, value] of [
      ["From", message.fromAddress],
      ["To", message.to],
      ["Cc", message.cc],
      ["Date", message.date?.toLocaleString() ?? ""],
    ] as const) {
      if (value === "") continue;
      const dt = document.createElement("dt");
      dt.textContent = term;
      const dd = document.createElement("dd");
      dd.textContent = value;
      headers.append(dt, dd);
    }
    const inline = new Map<string, AttachmentPart>();
    for (const part of message.attachments) {
      if (part.contentId !== null) inline.set(part.contentId, part);
    }
    if (message.html !== null) {
      this.#html = withInlineImages(message.html, inline);
      this.#loadFrame();
    } else {
      this.#elements.text.textContent = message.text ?? "";
      this.#elements.text.hidden = false;
    }
    const listed = message.attachments.filter(
      (part) => !(part.inline && message.html !== null && part.contentId !== null),
    );
    this.#listAttachments(listed);
    this.#elements.message.hidden = false;
  }

  #reset(): void {
    const { headers, attachments, text, remoteNote, message } = this.#elements;
    for (const url of this.#downloads) URL.revokeObjectURL(url);
    this.#downloads = [];
    this.#html = null;
    this.#remoteAllowed = false;
    headers.replaceChildren();
    attachments.replaceChildren();
    attachments.hidden = true;
    text.textContent = "";
    text.hidden = true;
    remoteNote.hidden = true;
    message.hidden = true;
    this.#replaceFrame(null);
  }

  /** A new frame for every load: nothing of the previous message's document survives. */
  #loadFrame(): void {
    this.#replaceFrame(this.#remoteAllowed ? `${FRAME_PAGE}?images=remote` : FRAME_PAGE);
  }

  #replaceFrame(src: string | null): void {
    const fresh = this.#frame.cloneNode(false) as HTMLIFrameElement;
    fresh.removeAttribute("src");
    fresh.hidden = src === null;
    if (src !== null) fresh.src = src;
    this.#frame.replaceWith(fresh);
    this.#frame = fresh;
  }

  #onFrameMessage(event: MessageEvent): void {
    // Only the current frame counts; its origin is opaque ("null"), so the source decides.
    if (event.source !== this.#frame.contentWindow || this.#html === null) return;
    const report = event.data as FrameReport;
    if (report?.type === "ready") {
      // The frame's origin is opaque: "*" is the only target that reaches it, and the
      // source check above ties the message to the frame this page just created.
      this.#frame.contentWindow?.postMessage({ type: "render", html: this.#html }, "*");
    } else if (report?.type === "rendered") {
      this.#elements.remoteNote.hidden = this.#remoteAllowed || !(report.remoteImages > 0);
    }
  }

  #listAttachments(parts: readonly AttachmentPart[]): void {
    const { attachments } = this.#elements;
    for (const part of parts) {
      const url = URL.createObjectURL(
        new Blob([part.content as Uint8Array<ArrayBuffer>], { type: part.mimeType }),
      );
      this.#downloads.push(url);
      const link = document.createElement("a");
      link.href = url;
      link.download = part.filename;
      link.textContent = part.filename;
      const about = document.createElement("span");
      about.className = "quiet";
      about.textContent = ` ${part.mimeType}, ${describeSize(part.content.length)}`;
      const item = document.createElement("li");
      item.append(link, about);
      attachments.append(item);
    }
    attachments.hidden = parts.length === 0;
  }
}

/**
 * `cid:` references (RFC 2392) to the message's own parts, as `data:` URLs, which the
 * frame's policy allows: the images of a multipart/related message show without any request.
 */
function withInlineImages(html: string, parts: ReadonlyMap<string, AttachmentPart>): string {
  if (parts.size === 0) return html;
  return html.replace(/\bcid:([^"'\s)>]+)/gi, (whole, id: string) => {
    const part = parts.get(decodeURIComponent(id));
    return part === undefined || !part.mimeType.startsWith("image/")
      ? whole
      : `data:${part.mimeType};base64,${encodeBase64(part.content)}`;
  });
}
