/**
 * The loader of `message-frame.html`, the sandboxed frame HTML mail is shown in. It says
 * `ready` to the page, takes one `render` message with the mail's HTML, and puts it in
 * place as inert markup (a parsed document's scripts never run, and the frame's policy
 * refuses inline scripts and event handlers anyway). Links open in a new tab. It reports how
 * many remote images the policy may have held back, so the page can offer to show them.
 */

interface RenderRequest {
  readonly type: "render";
  readonly html: string;
}

const DEFAULT_STYLE =
  "body{font:16px/1.5 system-ui,sans-serif;margin:1rem;overflow-wrap:anywhere;color:#1b1b1f;background:#fff}" +
  "img{max-width:100%;height:auto}table{max-width:100%}pre{white-space:pre-wrap}";

function render(html: string): number {
  const parsed = new DOMParser().parseFromString(html, "text/html");
  // What could move or reload the frame, or change where its URLs point.
  for (const element of parsed.querySelectorAll("script, base, meta[http-equiv], object, embed")) {
    element.remove();
  }
  for (const link of parsed.querySelectorAll<HTMLAnchorElement>("a[href]")) {
    link.target = "_blank";
    link.rel = "noopener noreferrer";
  }
  const style = parsed.createElement("style");
  style.textContent = DEFAULT_STYLE;
  parsed.head.prepend(style);
  let remote = 0;
  for (const image of parsed.querySelectorAll("img[src], img[srcset], [background]")) {
    const url =
      image.getAttribute("src") ??
      image.getAttribute("srcset") ??
      image.getAttribute("background") ??
      "";
    if (/^\s*(https?:)?\/\//i.test(url)) remote++;
  }
  document.documentElement.replaceWith(document.adoptNode(parsed.documentElement));
  return remote;
}

addEventListener("message", (event: MessageEvent) => {
  if (event.source !== parent) return;
  const request = event.data as RenderRequest | null;
  if (request?.type !== "render" || typeof request.html !== "string") return;
  const remoteImages = render(request.html);
  parent.postMessage({ type: "rendered", remoteImages }, "*");
});
parent.postMessage({ type: "ready" }, "*");
