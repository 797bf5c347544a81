/**
 * What a test threw, as text, whatever it threw: an Error whose getters throw, an object
 * without a prototype (String() throws on it), a value whose toString() throws. Describing a
 * failure must not fail itself, or one bad test would end the whole run.
 */
export function describeThrown(e: unknown): string {
  try {
    if (e instanceof Error) return `${e.name}: ${e.message}`;
  } catch {
    // name or message is a getter that throws: describe it as a value
  }
  try {
    return `thrown value: ${String(e)}`;
  } catch {
    // no toString, or one that throws
  }
  try {
    return `thrown value: ${Object.prototype.toString.call(e)}`;
  } catch {
    return 'thrown value: (cannot be printed)';
  }
}

/** The stack of a thrown Error, if it has a readable one. */
export function stackOf(e: unknown): string | undefined {
  try {
    return e instanceof Error && typeof e.stack === 'string' ? e.stack : undefined;
  } catch {
    return undefined;
  }
}

/** An Error's message alone (describeThrown for anything else), safely. */
export function messageOf(e: unknown): string {
  try {
    if (e instanceof Error) return String(e.message);
  } catch {
    // a getter that throws
  }
  return describeThrown(e);
}
