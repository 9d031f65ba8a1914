// image/scan/db-file.ts — bounded, symlink-refusing reads of a package database inside a layer (CLI process)
//
// An image's files are attacker-controlled: every offset and length read from a database is
// checked against the file before a byte is read or a buffer allocated, and the file is opened with
// O_NOFOLLOW so a symlink swapped in for it cannot point at a host file.
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { SandboxError, errnoReason } from '../../common/errors.js';

/** DbCorrupt: a database that cannot be decoded; the message names the file. */
export class DbCorrupt extends SandboxError {
  constructor(label: string, reason: string) { super('TSS_ESCAN', `read package database \`${label}\`: ${reason}`); }
}

export class DbFile {
  readonly size: number;
  private constructor(private fd: number, readonly label: string, size: number) { this.size = size; }

  /** open opens abs read-only (never through a final symlink); label is the in-image path for messages. */
  static open(abs: string, label: string): DbFile {
    let fd: number;
    try { fd = openSync(abs, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK); } catch (err) { throw new DbCorrupt(label, `cannot open (${errnoReason(err)})`); }
    try {
      const st = fstatSync(fd);
      if (!st.isFile()) throw new DbCorrupt(label, 'not a regular file');
      return new DbFile(fd, label, st.size);
    } catch (err) { closeSync(fd); throw err; }
  }

  /** bad throws a DbCorrupt naming this file. */
  bad(reason: string): never { throw new DbCorrupt(this.label, reason); }

  /** read returns exactly len bytes at off, or throws when they are not all inside the file. */
  read(off: number, len: number): Buffer {
    if (!Number.isSafeInteger(off) || !Number.isSafeInteger(len) || off < 0 || len < 0 || off + len > this.size) {
      this.bad(`${len} bytes at offset ${off} lie outside the file (${this.size} bytes)`);
    }
    const buf = Buffer.alloc(len);
    let got = 0;
    while (got < len) {
      const n = readSync(this.fd, buf, got, len - got, off + got);
      if (n === 0) this.bad(`file shrank while being read (at offset ${off + got})`);
      got += n;
    }
    return buf;
  }

  close(): void { if (this.fd >= 0) { closeSync(this.fd); this.fd = -1; } }
}

/** withDb opens, runs fn and always closes. */
export function withDb<T>(abs: string, label: string, fn: (f: DbFile) => T): T {
  const f = DbFile.open(abs, label);
  try { return fn(f); } finally { f.close(); }
}
