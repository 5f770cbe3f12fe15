/**
 * Node child processes for the cross-runtime tests: the fixtures under `test/fixtures/` run
 * with the system `node` and the workspace's built @apop/node and @apop/core.
 */
const fixtures = new URL("../fixtures/", import.meta.url);

/** The path of a fixture script. */
export function fixture(name: string): string {
  return new URL(name, fixtures).pathname;
}

/** A long-running Node fixture that speaks JSON lines on stdout and exits when stdin closes. */
export interface NodeService<T> {
  /** The first line it printed (its ports). */
  readonly ready: T;
  /** Every line after the first, as they came. */
  readonly lines: Record<string, unknown>[];
  /** Waits until a printed line matches. */
  until(match: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  /** Closes its stdin and waits for it to exit. */
  stop(): Promise<void>;
}

export async function startNodeService<T>(
  script: string,
  config: unknown,
): Promise<NodeService<T>> {
  const child = new Deno.Command("node", {
    args: [fixture(script), JSON.stringify(config)],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines: Record<string, unknown>[] = [];
  const waiters = new Set<() => void>();
  const ready = Promise.withResolvers<T>();
  let started = false;
  const reading = (async () => {
    let pending = "";
    for await (const text of child.stdout.pipeThrough(new TextDecoderStream())) {
      pending += text;
      for (let end = pending.indexOf("\n"); end >= 0; end = pending.indexOf("\n")) {
        const value = JSON.parse(pending.slice(0, end));
        pending = pending.slice(end + 1);
        if (!started) {
          started = true;
          ready.resolve(value as T);
        } else {
          lines.push(value);
          for (const wake of waiters) wake();
        }
      }
    }
    if (!started) ready.reject(new Error(`${script} exited before it was ready`));
  })();
  const stdin = child.stdin.getWriter();
  return {
    ready: await ready.promise,
    lines,
    async until(match) {
      for (let waited = 0; ; waited++) {
        const found = lines.find(match);
        if (found !== undefined) return found;
        if (waited > 200) throw new Error(`${script} never printed the line looked for`);
        await new Promise<void>((resolve) => {
          const wake = (): void => {
            waiters.delete(wake);
            clearTimeout(timer);
            resolve();
          };
          const timer = setTimeout(wake, 50);
          waiters.add(wake);
        });
      }
    },
    async stop() {
      await stdin.close();
      await reading;
      await child.status;
    },
  };
}

/** Runs a Node fixture to its end and parses the one JSON line it prints. */
export async function runNode<T>(script: string, config: unknown): Promise<T> {
  const { stdout, stderr, success } = await new Deno.Command("node", {
    args: [fixture(script), JSON.stringify(config)],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(stdout).trim();
  if (!success || text === "") {
    throw new Error(`${script} failed: ${new TextDecoder().decode(stderr)}`);
  }
  return JSON.parse(text) as T;
}
