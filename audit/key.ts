// audit/key.ts — read an audit HMAC key from a file (supervisor and CLI, reads the key file)
//
// The key is the file's raw bytes (one trailing newline dropped, so `openssl rand -hex 32 > key`
// works). It must be readable by the supervisor and the reviewer only: whoever holds it can forge
// a log that verifies.
import { readFileSync } from 'node:fs';
import { MIN_KEY_BYTES } from './chain.js';
import { AuditError, errnoReason } from './errors.js';

export function readKey(path: string): Buffer {
  let b: Buffer;
  try { b = readFileSync(path); } catch (err) { throw new AuditError('read audit key', path, errnoReason(err), err); }
  if (b[b.length - 1] === 10) b = b.subarray(0, b[b.length - 2] === 13 ? -2 : -1);
  if (b.length < MIN_KEY_BYTES) throw new AuditError('read audit key', path, `the key is shorter than ${MIN_KEY_BYTES} bytes`);
  return b;
}
