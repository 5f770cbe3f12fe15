import type { MaildirDestination, StagedMessage } from "./maildir-destination.ts";

/** Messages staged before they are delivered together: fewer journal commits and directory syncs. */
const BATCH = 32;
/**
 * Batches being delivered at once. Each fsync waits for the disk, and the next batch arrives
 * meanwhile; with a few in flight the network rarely waits for the disk. At most
 * `(IN_FLIGHT + 1) * BATCH` files are open.
 */
const IN_FLIGHT = 3;

/**
 * Gathers messages staged in a Maildir (written to `tmp/`, not synced) into batches and
 * delivers each batch (`MaildirDestination.deliver`: fsyncs together, renames, one sync of
 * `new/`) while the next ones arrive. `recorded` hears each batch once it is durable, one
 * batch after the other, never two at once (it saves the state file); only then may its
 * messages be recorded or deleted on the server.
 *
 * A failed delivery or `recorded` stops the run: it is thrown by the next `add`, `settle` or
 * `finish`.
 */
export class MaildirBatches<T> {
  readonly #maildir: MaildirDestination;
  readonly #recorded: (items: readonly T[]) => Promise<void>;
  #staged: { readonly item: T; readonly file: StagedMessage }[] = [];
  /** Batches delivered and recorded in order: the last one's promise. */
  #recording: Promise<void> = Promise.resolve();
  #inFlight: Promise<void>[] = [];

  constructor(options: {
    readonly maildir: MaildirDestination;
    readonly recorded: (items: readonly T[]) => Promise<void>;
  }) {
    this.#maildir = options.maildir;
    this.#recorded = options.recorded;
  }

  /** One more staged message; a full batch goes to be delivered. */
  async add(item: T, file: StagedMessage): Promise<void> {
    this.#staged.push({ item, file });
    if (this.#staged.length >= BATCH) await this.settle();
  }

  /**
   * Sends what is staged to be delivered now (before a large message, which takes a while to
   * arrive), waiting first when `IN_FLIGHT` batches are still on their way.
   */
  async settle(): Promise<void> {
    if (this.#staged.length === 0) return;
    // A failed batch stops the run here, with this one still staged.
    while (this.#inFlight.length >= IN_FLIGHT) await this.#inFlight.shift();
    const batch = this.#staged;
    this.#staged = [];
    const delivered = this.#maildir.deliver(batch.map((staged) => staged.file));
    // Deliveries overlap; recording waits for this batch and for every batch before it.
    const recorded = Promise.all([delivered, this.#recording]).then(() =>
      this.#recorded(batch.map((staged) => staged.item)),
    );
    // Awaited later (here, by `finish`, or by `abandon`); until then not unhandled.
    delivered.catch(() => {});
    recorded.catch(() => {});
    this.#recording = recorded;
    this.#inFlight.push(recorded);
  }

  /** Delivers and records everything staged; resolves once all of it is recorded. */
  async finish(): Promise<void> {
    await this.settle();
    for (const batch of this.#inFlight.splice(0)) await batch;
  }

  /**
   * After a failure: lets the deliveries on their way end (their outcome no longer matters),
   * and delivers what is staged rather than leaving it in `tmp/`, best effort and unrecorded
   * (the next run recognises it in `new/` by its name). Never throws.
   */
  async abandon(): Promise<void> {
    await Promise.allSettled(this.#inFlight.splice(0));
    const staged = this.#staged.splice(0);
    await this.#maildir.deliver(staged.map((s) => s.file)).catch(() => {});
  }
}
