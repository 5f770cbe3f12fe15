/**
 * `Promise.all(items.map(fn))` with at most `limit` calls in flight, so a mailbox of 100 000
 * messages does not open 100 000 files at once (EMFILE). Results keep the order of `items`;
 * the first rejection rejects the whole (calls already started still finish).
 */
export async function mapLimit<T, R>(options: {
  items: readonly T[];
  limit: number;
  fn: (item: T, index: number) => Promise<R>;
}): Promise<R[]> {
  const { items, limit, fn } = options;
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
