// sandbox/notify/decode.ts — bounded decoders of what a notified syscall points at: paths, argv, sockaddrs (supervisor process, pure over a memory reader)
//
// Everything read here is what the caller *requested*: another thread may rewrite it right after,
// so it is only ever recorded, never used to decide (DESIGN §5). Every decoder is bounded (a path
// at PATH_MAX, argv at MAX_ARGV entries and MAX_ARGV_BYTES in all, a sockaddr at 128 bytes) and
// never follows a pointer it did not read itself.

/** reads up to len bytes at addr of the target; a short result means the rest is unmapped */
export type MemReader = (addr: bigint, len: number) => Buffer;

export const PATH_MAX = 4096;
export const MAX_ARGV = 64;
export const MAX_ARGV_BYTES = 16384;
const PAGE = 4096;

/** readCString reads a NUL-terminated string page by page (process_vm_readv stops at an unmapped page). */
export function readCString(read: MemReader, addr: bigint, max = PATH_MAX): string | null {
  if (addr === 0n) return null;
  const parts: Buffer[] = [];
  let got = 0;
  let at = addr;
  while (got < max) {
    const chunk = Math.min(PAGE - Number(at % BigInt(PAGE)), max - got);
    const b = read(at, chunk);
    const nul = b.indexOf(0);
    if (nul >= 0) { parts.push(b.subarray(0, nul)); return Buffer.concat(parts).toString('utf8'); }
    parts.push(b);
    got += b.length;
    if (b.length < chunk) return null; // unmapped before the terminator
    at += BigInt(b.length);
  }
  return `${Buffer.concat(parts).toString('utf8')}…`; // cut at the bound, and marked so
}

/** readArgv reads a NULL-terminated array of string pointers (64-bit little-endian). */
export function readArgv(read: MemReader, addr: bigint): string[] | null {
  if (addr === 0n) return null;
  const ptrs = read(addr, 8 * (MAX_ARGV + 1));
  const out: string[] = [];
  let bytes = 0;
  for (let i = 0; i + 8 <= ptrs.length && i / 8 < MAX_ARGV; i += 8) {
    const p = ptrs.readBigUInt64LE(i);
    if (p === 0n) return out;
    const s = readCString(read, p, Math.min(PATH_MAX, MAX_ARGV_BYTES - bytes));
    if (s === null) return out;
    out.push(s);
    bytes += s.length;
    if (bytes >= MAX_ARGV_BYTES) { out.push('…'); return out; }
  }
  if (out.length >= MAX_ARGV) out.push('…');
  return out;
}

/** sockaddrText renders a sockaddr as the audit's "inet:1.2.3.4:80", "inet6:[::1]:80", "unix:/path" */
export function sockaddrText(b: Buffer): string | null {
  if (b.length < 2) return null;
  const family = b.readUInt16LE(0);
  if (family === 2 && b.length >= 8) return `inet:${b[4]}.${b[5]}.${b[6]}.${b[7]}:${b.readUInt16BE(2)}`;
  if (family === 10 && b.length >= 24) {
    const words: string[] = [];
    for (let i = 8; i < 24; i += 2) words.push(b.readUInt16BE(i).toString(16));
    const addr = words.join(':').replace(/(^|:)0(:0)+(:|$)/, '::').replace(/:{3,}/, '::');
    return `inet6:[${addr}]:${b.readUInt16BE(2)}`;
  }
  if (family === 1) {
    const path = b.subarray(2);
    if (path.length && path[0] === 0) return `unix:@${path.subarray(1).toString('utf8').replace(/\0+$/, '')}`;
    const nul = path.indexOf(0);
    return `unix:${(nul >= 0 ? path.subarray(0, nul) : path).toString('utf8')}`;
  }
  if (family === 16) return 'netlink';
  return `family:${family}`;
}

/** readSockaddr reads a sockaddr of the given length (bounded at 128, struct sockaddr_storage) */
export function readSockaddr(read: MemReader, addr: bigint, len: bigint): string | null {
  if (addr === 0n) return null;
  const n = Number(len > 128n ? 128n : len < 0n ? 0n : len);
  return sockaddrText(read(addr, n));
}
