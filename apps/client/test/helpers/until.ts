import { setTimeout as sleep } from "node:timers/promises";

/**
 * Waits until `condition` holds, checking every few milliseconds. Only a way to wait for
 * another process: no test asserts on how long it took (the test timeout is the limit).
 */
export async function until(condition: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await condition())) await sleep(5);
}
