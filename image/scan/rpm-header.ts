// image/scan/rpm-header.ts — decode an rpm header blob (as rpmdb stores it) into name/epoch/version/release/arch (everywhere, pure)
//
// Layout (rpm lib/header.c, "headerImport"): [optional 8-byte magic 8e ad e8 01 + 4 reserved]
// il (u32 BE, index entries), dl (u32 BE, data bytes), il × {tag, type, offset, count} (u32 BE
// each), then dl bytes of data. Strings are NUL-terminated inside the data store. The blob comes
// from an image, so every count and offset is checked; the limits are rpm's own (HEADER_TAGS_MAX,
// HEADER_DATA_MAX).

export interface RpmHeader {
  readonly name: string;
  readonly version: string;
  readonly release: string;
  readonly epoch?: number;
  readonly arch?: string;
  /** SOURCERPM, e.g. "glibc-2.34-60.el9.src.rpm" */
  readonly sourceRpm?: string;
  readonly vendor?: string;
}

export const TAG = { NAME: 1000, VERSION: 1001, RELEASE: 1002, EPOCH: 1003, VENDOR: 1011, ARCH: 1022, SOURCERPM: 1044 } as const;
const TYPE = { INT32: 4, STRING: 6, STRING_ARRAY: 8, I18NSTRING: 9 } as const;
const TAGS_MAX = 0xffff;
const DATA_MAX = 0x0fffffff;
const MAGIC = 0x8eade801;

/** RpmHeaderError: a malformed header; the reason is one short phrase. */
export class RpmHeaderError extends Error {}

const bad = (reason: string): never => { throw new RpmHeaderError(reason); };

/** parseRpmHeader decodes the tags the scanner needs; throws RpmHeaderError on malformed input. */
export function parseRpmHeader(blob: Buffer): RpmHeader {
  let b = blob;
  if (b.length >= 8 && b.readUInt32BE(0) === MAGIC) b = b.subarray(8);
  if (b.length < 8) bad(`header of ${b.length} bytes is too short`);
  const il = b.readUInt32BE(0);
  const dl = b.readUInt32BE(4);
  if (il < 1 || il > TAGS_MAX) bad(`index count ${il} is out of range`);
  if (dl > DATA_MAX) bad(`data length ${dl} is out of range`);
  const dataStart = 8 + 16 * il;
  if (dataStart + dl > b.length) bad(`index of ${il} entries and ${dl} data bytes exceed the ${b.length}-byte header`);
  const data = b.subarray(dataStart, dataStart + dl);
  const entries = new Map<number, { type: number; offset: number; count: number }>();
  for (let i = 0; i < il; i++) {
    const o = 8 + 16 * i;
    const tag = b.readUInt32BE(o);
    // the first entry of a tag wins, as in rpm's sorted lookup of a well-formed header
    if (!entries.has(tag)) entries.set(tag, { type: b.readUInt32BE(o + 4), offset: b.readInt32BE(o + 8), count: b.readUInt32BE(o + 12) });
  }
  const str = (tag: number): string | undefined => {
    const e = entries.get(tag);
    if (!e) return undefined;
    if (e.type !== TYPE.STRING && e.type !== TYPE.STRING_ARRAY && e.type !== TYPE.I18NSTRING) bad(`tag ${tag} has type ${e.type}, not a string`);
    if (e.offset < 0 || e.offset >= dl) bad(`tag ${tag} offset ${e.offset} is outside the ${dl}-byte data`);
    const end = data.indexOf(0, e.offset);
    if (end < 0) bad(`tag ${tag} string is not terminated inside the data`);
    // for arrays (I18N: one per locale) the first is the C locale's
    return data.subarray(e.offset, end).toString('utf8');
  };
  const int32 = (tag: number): number | undefined => {
    const e = entries.get(tag);
    if (!e) return undefined;
    if (e.type !== TYPE.INT32 || e.count < 1) bad(`tag ${tag} has type ${e.type}, not int32`);
    if (e.offset < 0 || e.offset + 4 > dl) bad(`tag ${tag} offset ${e.offset} is outside the ${dl}-byte data`);
    return data.readUInt32BE(e.offset);
  };
  const name = str(TAG.NAME);
  const version = str(TAG.VERSION);
  const release = str(TAG.RELEASE);
  if (!name || version === undefined || release === undefined) bad('NAME, VERSION or RELEASE is missing');
  const epoch = int32(TAG.EPOCH);
  const arch = str(TAG.ARCH);
  const sourceRpm = str(TAG.SOURCERPM);
  const vendor = str(TAG.VENDOR);
  return { name: name!, version: version!, release: release!, ...(epoch !== undefined ? { epoch } : {}), ...(arch ? { arch } : {}), ...(sourceRpm ? { sourceRpm } : {}), ...(vendor ? { vendor } : {}) };
}

/** evr renders "[epoch:]version-release" (epoch only when set and not 0: an absent epoch compares as 0). */
export function evr(h: RpmHeader): string {
  return `${h.epoch ? `${h.epoch}:` : ''}${h.version}-${h.release}`;
}

/** sourceName: "glibc-2.34-60.el9.src.rpm" → "glibc" (name-version-release.arch.rpm). */
export function sourceName(sourceRpm: string): string | undefined {
  const m = /^(.+)-[^-]+-[^-]+\.(?:no)?src\.rpm$/.exec(sourceRpm);
  return m?.[1];
}
