/**
 * Page-number ranges with a value each (here: the permissions of mapped pages nobody has
 * touched yet). Mapping a large region (a 2 MiB executable pack, say) costs one entry instead
 * of one per page, and so does unmapping it. Ranges are disjoint and kept sorted; they are
 * never merged, so a lookup is a binary search over at most a few hundred entries.
 */

interface Range {
  first: number;
  last: number; // inclusive
  value: number;
}

export class PageRanges {
  private readonly ranges: Range[] = [];

  /** Index of the range holding pn, or -1. */
  private find(pn: number): number {
    const r = this.ranges;
    let lo = 0;
    let hi = r.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const x = r[mid]!;
      if (pn < x.first) hi = mid - 1;
      else if (pn > x.last) lo = mid + 1;
      else return mid;
    }
    return -1;
  }

  /** Index of the first range ending at or after pn. */
  private lowerBound(pn: number): number {
    const r = this.ranges;
    let lo = 0;
    let hi = r.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (r[mid]!.last < pn) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  get(pn: number): number | undefined {
    const i = this.find(pn);
    return i < 0 ? undefined : this.ranges[i]!.value;
  }

  has(pn: number): boolean {
    return this.find(pn) >= 0;
  }

  /** Removes [first, last] from every range (splitting the ones it cuts). */
  delete(first: number, last = first): void {
    const r = this.ranges;
    let i = this.lowerBound(first);
    const add: Range[] = [];
    let n = 0;
    const start = i;
    for (; i < r.length && r[i]!.first <= last; i++, n++) {
      const x = r[i]!;
      if (x.first < first) add.push({ first: x.first, last: first - 1, value: x.value });
      if (x.last > last) add.push({ first: last + 1, last: x.last, value: x.value });
    }
    if (n > 0 || add.length > 0) r.splice(start, n, ...add);
  }

  /** Gives [first, last] the value (replacing whatever covered part of it). */
  set(first: number, last: number, value: number): void {
    this.delete(first, last);
    this.ranges.splice(this.lowerBound(first), 0, { first, last, value });
  }

  /** Gives the covered parts of [first, last] the value; pages outside every range stay out. */
  update(first: number, last: number, value: number): void {
    const r = this.ranges;
    const covered: Range[] = [];
    for (let i = this.lowerBound(first); i < r.length && r[i]!.first <= last; i++) {
      const x = r[i]!;
      covered.push({ first: Math.max(first, x.first), last: Math.min(last, x.last), value });
    }
    for (const c of covered) this.set(c.first, c.last, c.value);
  }

  /** Number of ranges (for tests). */
  get count(): number {
    return this.ranges.length;
  }
}
