/**
 * Appends items to an array one by one. `out.push(...items)` passes every item as an argument,
 * and a test's log of ~130,000 lines overflows the stack that way.
 */
export function pushAll<T>(out: T[], items: Iterable<T>): T[] {
  for (const x of items) out.push(x);
  return out;
}
