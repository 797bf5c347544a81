/**
 * Name globs as test_progs and the BPF CI deny lists use them: `*` matches any run of
 * characters (also none), `?` one character; everything else, including `/`, `+` and `.`,
 * matches itself. Matching is on the whole name.
 */

const cache = new Map<string, RegExp>();

function compile(glob: string): RegExp {
  let re = cache.get(glob);
  if (!re) {
    const body = [...glob].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.|+()[\]{}]/g, '\\$&'))).join('');
    re = new RegExp(`^${body}$`, 's');
    cache.set(glob, re);
  }
  return re;
}

/** Whether `name` matches `glob` as a whole. */
export function globMatch(glob: string, name: string): boolean {
  if (!glob.includes('*') && !glob.includes('?')) return glob === name;
  return compile(glob).test(name);
}

/** Whether the text contains a glob metacharacter. */
export function isGlob(s: string): boolean {
  return s.includes('*') || s.includes('?');
}
