// common/compare.ts — string order for sorts on the hot path (everywhere, pure)
//
// String.prototype.localeCompare initialises ICU's collator on its first call: ~60 ms of CPU, paid
// by every `run` and `ps` that sorted with it once. Names, file names and ISO timestamps need no
// locale: code-point order sorts ISO timestamps by time, as localeCompare did.

/** byCodePoint: a < b → -1, a > b → 1, else 0 (Array.prototype.sort's comparator contract) */
export function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
