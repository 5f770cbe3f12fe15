/**
 * The message list: one table row per message (From, Subject, Date, Size), newest first,
 * created from LIST at once and filled in as each TOP reply arrives. A row opens with a
 * click anywhere on it, or with its Subject button (Enter, Space). The arrow keys (and j, k,
 * Home, End) move between rows with one tab stop for the whole list; Delete marks.
 */
import { describeSize } from "./describe-size.ts";
import { formatListDate } from "./format-list-date.ts";
import type { MessageEntry } from "./mailbox-session.ts";

export interface MessageListOptions {
  readonly body: HTMLTableSectionElement;
  readonly onOpen: (message: number) => void;
  readonly onDelete: (message: number) => void;
}

export class MessageList {
  readonly #body: HTMLTableSectionElement;
  readonly #rows = new Map<number, HTMLTableRowElement>();
  #current: number | null = null;

  constructor(options: MessageListOptions) {
    this.#body = options.body;
    this.#body.addEventListener("click", (event) => {
      const row = (event.target as Element).closest("tr");
      const message = Number(row?.dataset.message);
      if (row !== null && Number.isSafeInteger(message)) options.onOpen(message);
    });
    // A row focused by Tab or by a click on its button becomes the current one.
    this.#body.addEventListener("focusin", (event) => {
      const message = Number((event.target as Element).closest("tr")?.dataset.message);
      if (Number.isSafeInteger(message) && message !== this.#current) {
        this.select(message, { focus: false });
      }
    });
    this.#body.addEventListener("keydown", (event) => {
      const step = STEPS[event.key];
      if (step !== undefined) {
        event.preventDefault();
        this.#move(step);
      } else if ((event.key === "Delete" || event.key === "#") && this.#current !== null) {
        event.preventDefault();
        options.onDelete(this.#current);
      }
    });
  }

  /** The row that has the list's tab stop. */
  get current(): number | null {
    return this.#current;
  }

  /** Replaces the rows with one per entry, in the order given. */
  show(entries: readonly MessageEntry[]): void {
    this.#rows.clear();
    this.#current = null;
    const rows = entries.map((entry) => {
      const row = document.createElement("tr");
      row.dataset.message = String(entry.message);
      const open = document.createElement("button");
      open.type = "button";
      open.className = "open";
      open.tabIndex = -1;
      cell(row, "from");
      cell(row, "subject").append(open);
      cell(row, "date");
      cell(row, "size");
      this.#rows.set(entry.message, row);
      this.#fill(row, entry);
      return row;
    });
    this.#body.replaceChildren(...rows);
    const first = entries[0];
    if (first !== undefined) this.select(first.message, { focus: false });
  }

  /**
   * Fills a row in with its entry's headers, problem or deletion mark. The row and its
   * button stay the same elements, so the keyboard focus stays where it is.
   */
  update(entry: MessageEntry): void {
    const row = this.#rows.get(entry.message);
    if (row !== undefined) this.#fill(row, entry);
  }

  /** Moves the tab stop (and the highlight) to a row; `focus` moves the keyboard focus too. */
  select(message: number, options: { focus: boolean }): void {
    const previous = this.#current === null ? undefined : this.#rows.get(this.#current);
    previous?.classList.remove("current");
    const previousButton = previous?.querySelector("button");
    previousButton?.setAttribute("tabindex", "-1");
    previousButton?.removeAttribute("aria-current");
    const row = this.#rows.get(message);
    if (row === undefined) return;
    this.#current = message;
    row.classList.add("current");
    const button = row.querySelector("button") as HTMLButtonElement;
    button.tabIndex = 0;
    button.setAttribute("aria-current", "true");
    if (options.focus) button.focus();
    row.scrollIntoView({ block: "nearest" });
  }

  clear(): void {
    this.#rows.clear();
    this.#current = null;
    this.#body.replaceChildren();
  }

  #move(step: number | "first" | "last"): void {
    const order = [...this.#rows.keys()];
    const at = this.#current === null ? -1 : order.indexOf(this.#current);
    const index =
      step === "first"
        ? 0
        : step === "last"
          ? order.length - 1
          : Math.min(order.length - 1, Math.max(0, at + step));
    const message = order[index];
    if (message !== undefined) this.select(message, { focus: true });
  }

  #fill(row: HTMLTableRowElement, entry: MessageEntry): void {
    const { summary } = entry;
    row.classList.toggle("deleted", entry.deleted);
    row.classList.toggle("pending", summary === null && entry.problem === null);
    const [from, subject, date, size] = [...row.cells] as [Cell, Cell, Cell, Cell];
    from.textContent = summary === null ? "" : summary.from || "(no sender)";
    const open = subject.querySelector("button") as HTMLButtonElement;
    open.textContent =
      entry.problem !== null
        ? `Message ${entry.message} (${entry.problem})`
        : summary === null
          ? `Message ${entry.message}`
          : summary.subject || "(no subject)";
    if (entry.deleted) {
      const mark = document.createElement("span");
      mark.className = "visually-hidden";
      mark.textContent = " (marked for deletion)";
      open.append(mark);
    }
    date.replaceChildren();
    if (summary?.date != null) {
      const time = document.createElement("time");
      time.dateTime = summary.date.toISOString();
      time.title = summary.date.toLocaleString();
      time.textContent = formatListDate({ date: summary.date, now: new Date() });
      date.append(time);
    }
    size.textContent = describeSize(entry.size);
  }
}

type Cell = HTMLTableCellElement;

const STEPS: Readonly<Record<string, number | "first" | "last">> = {
  ArrowDown: 1,
  j: 1,
  ArrowUp: -1,
  k: -1,
  PageDown: 10,
  PageUp: -10,
  Home: "first",
  End: "last",
};

function cell(row: HTMLTableRowElement, className: string): HTMLTableCellElement {
  const td = row.insertCell();
  td.className = className;
  return td;
}
