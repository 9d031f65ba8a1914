// test/scan/json-schema.ts — a tiny JSON Schema (draft-07 subset) validator for the vendored SARIF schema (tests)
//
// Just the keywords test/fixtures/sarif/ uses: type, enum, required, properties,
// additionalProperties, items, minItems, uniqueItems, minimum, maximum, pattern, anyOf, format
// (uri, uri-reference) and local $ref. Unknown keywords are an error, so the schema cannot
// silently ask for more than this checks.
type Schema = Record<string, unknown>;

const KNOWN = new Set(['$schema', '$comment', 'title', 'description', 'definitions', 'type', 'enum', 'required', 'properties', 'additionalProperties', 'items', 'minItems', 'uniqueItems', 'minimum', 'maximum', 'pattern', 'anyOf', 'format', '$ref', 'default']);

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

const URI = /^[A-Za-z][A-Za-z0-9+.-]*:[^\s]*$/;
const URI_REF = /^[^\s\\]*$/;

/** validate returns the errors ("path: problem"); [] means valid. */
export function validate(root: Schema, value: unknown): string[] {
  const errors: string[] = [];
  const check = (s: Schema, v: unknown, at: string): void => {
    for (const k of Object.keys(s)) if (!KNOWN.has(k)) throw new Error(`schema keyword ${k} at ${at} is not supported`);
    if (typeof s.$ref === 'string') {
      const name = /^#\/definitions\/(.+)$/.exec(s.$ref)?.[1];
      const def = name ? (root.definitions as Record<string, Schema>)[name] : undefined;
      if (!def) throw new Error(`unresolved $ref ${s.$ref}`);
      check(def, v, at);
    }
    const t = typeOf(v);
    if (s.type !== undefined) {
      const want = ([] as string[]).concat(s.type as string | string[]);
      if (!want.some((w) => w === t || (w === 'number' && t === 'integer'))) { errors.push(`${at}: expected ${want.join('|')}, got ${t}`); return; }
    }
    if (s.enum && !(s.enum as unknown[]).some((e) => e === v)) errors.push(`${at}: ${JSON.stringify(v)} not in enum`);
    if (typeof v === 'number') {
      if (typeof s.minimum === 'number' && v < s.minimum) errors.push(`${at}: ${v} < minimum ${s.minimum}`);
      if (typeof s.maximum === 'number' && v > s.maximum) errors.push(`${at}: ${v} > maximum ${s.maximum}`);
    }
    if (typeof v === 'string') {
      if (typeof s.pattern === 'string' && !new RegExp(s.pattern, 'u').test(v)) errors.push(`${at}: does not match ${s.pattern}`);
      if (s.format === 'uri' && !URI.test(v)) errors.push(`${at}: not an absolute URI`);
      if (s.format === 'uri-reference' && !URI_REF.test(v)) errors.push(`${at}: not a URI reference`);
    }
    if (Array.isArray(v)) {
      if (typeof s.minItems === 'number' && v.length < s.minItems) errors.push(`${at}: fewer than ${s.minItems} items`);
      if (s.uniqueItems === true && new Set(v.map((x) => JSON.stringify(x))).size !== v.length) errors.push(`${at}: items are not unique`);
      if (s.items) v.forEach((x, i) => check(s.items as Schema, x, `${at}[${i}]`));
    }
    if (t === 'object') {
      const o = v as Record<string, unknown>;
      for (const r of (s.required as string[] | undefined) ?? []) if (!(r in o)) errors.push(`${at}: missing required ${r}`);
      const props = (s.properties ?? {}) as Record<string, Schema>;
      for (const [k, x] of Object.entries(o)) {
        if (props[k]) check(props[k], x, `${at}.${k}`);
        else if (s.additionalProperties === false) errors.push(`${at}: property ${k} is not allowed`);
        else if (typeof s.additionalProperties === 'object') check(s.additionalProperties as Schema, x, `${at}.${k}`);
      }
    }
    if (Array.isArray(s.anyOf)) {
      const ok = (s.anyOf as Schema[]).some((alt) => { const before = errors.length; check(alt, v, at); const fine = errors.length === before; errors.length = before; return fine; });
      if (!ok) errors.push(`${at}: matches none of anyOf`);
    }
  };
  check(root, value, '$');
  return errors;
}
