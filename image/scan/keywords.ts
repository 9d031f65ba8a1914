// image/scan/keywords.ts — one Aho–Corasick pass finds which rule keywords occur in a text (everywhere, pure)
//
// The prefilter used to be one `lower.includes(k)` per keyword per rule: ~300 passes over every
// file, most of them for keywords that are absent. One automaton pass (ASCII case folded, no
// lower-cased copy of the text) answers all of them at once.

// byte → folded symbol: A–Z to a–z; 128–255 never fold to ASCII, so one symbol (255) no keyword uses
const FOLD = new Uint8Array(256).map((_, c) => (c >= 65 && c <= 90 ? c + 32 : c > 127 ? 255 : c));

/** foldWide: toLowerCase folds a few non-Latin-1 letters to ASCII (KELVIN SIGN → "k"); keep that */
function foldWide(c: number): number {
  const l = String.fromCharCode(c).toLowerCase().charCodeAt(0);
  return l < 128 ? l : 255;
}

export class KeywordSet {
  private readonly next: Int32Array;
  /** per state: the keyword ids that end there (own and through failure links) */
  private readonly out: Array<readonly number[] | undefined>;
  /** 1 where out[state] is non-empty (a typed array: the hot loop stays monomorphic) */
  private readonly final: Uint8Array;
  readonly keywords: readonly string[];

  constructor(keywords: readonly string[]) {
    this.keywords = keywords;
    const goto: Array<Map<number, number>> = [new Map()];
    const own: number[][] = [[]];
    for (const [id, k] of keywords.entries()) {
      if (!/^[\x00-\x7f]+$/.test(k) || k !== k.toLowerCase()) throw new Error(`keyword ${JSON.stringify(k)} must be lower-case ASCII`);
      let s = 0;
      for (let i = 0; i < k.length; i++) {
        const c = k.charCodeAt(i);
        let t = goto[s]!.get(c);
        if (t === undefined) { t = goto.length; goto.push(new Map()); own.push([]); goto[s]!.set(c, t); }
        s = t;
      }
      own[s]!.push(id);
    }
    // breadth first: failure links, then a dense 256-wide transition table (a DFA)
    const n = goto.length;
    const next = new Int32Array(n * 256);
    const fail = new Int32Array(n);
    const out: Array<number[] | undefined> = new Array(n);
    const queue: number[] = [];
    for (let c = 0; c < 256; c++) {
      const t = goto[0]!.get(c);
      if (t !== undefined) { next[c] = t; fail[t] = 0; queue.push(t); } else next[c] = 0;
    }
    out[0] = own[0]!.length ? own[0] : undefined;
    for (let qi = 0; qi < queue.length; qi++) {
      const s = queue[qi]!;
      const merged = [...own[s]!, ...(out[fail[s]!] ?? [])];
      out[s] = merged.length ? merged : undefined;
      for (let c = 0; c < 256; c++) {
        const t = goto[s]!.get(c);
        if (t !== undefined) { fail[t] = next[fail[s]! * 256 + c]!; next[s * 256 + c] = t; queue.push(t); } else next[s * 256 + c] = next[fail[s]! * 256 + c]!;
      }
    }
    this.next = next;
    this.out = out;
    this.final = Uint8Array.from(out, (o) => (o ? 1 : 0));
  }

  /**
   * scan calls hit(keywordId, endOffset) for every occurrence (end = index after its last char);
   * matching is ASCII case-insensitive, as `text.toLowerCase().includes(k)` is for ASCII keywords.
   */
  scan(text: string, hit: (id: number, end: number) => void): void {
    const { next, out } = this;
    let s = 0;
    for (let i = 0; i < text.length; i++) {
      let c = text.charCodeAt(i);
      c = c < 256 ? FOLD[c]! : foldWide(c);
      s = next[(s << 8) | c]!;
      const o = out[s];
      if (o) for (const id of o) hit(id, i + 1);
    }
  }

  /** present: the set of keyword ids that occur in text (scan's loop, inlined: no callback per hit). */
  present(text: string): Uint8Array {
    const seen = new Uint8Array(this.keywords.length);
    const { next, out, final } = this;
    const fold = FOLD;
    const len = text.length;
    let s = 0;
    for (let i = 0; i < len; i++) {
      let c = text.charCodeAt(i);
      c = c < 256 ? fold[c]! : foldWide(c);
      s = next[(s << 8) | c]!;
      if (final[s] === 1) for (const id of out[s]!) seen[id] = 1;
    }
    return seen;
  }
}
