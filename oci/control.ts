// oci/control.ts — the verbs' side of the supervisor's control socket: one request, one reply (OCI front end, CLI process)
import { connect } from 'node:net';
import { bindable } from '../sandbox/containers.js';
import { lockHeld } from '../sandbox/lock.js';
import type { OciControlReply, OciControlRequest } from './supervisor-main.js';
import { controlSocket, lockFile } from './state.js';

/** request resolves with the reply, or null when nobody listens (the supervisor is gone) */
export function request(dir: string, req: OciControlRequest): Promise<OciControlReply | null> {
  let p: ReturnType<typeof bindable>;
  try { p = bindable(controlSocket(dir)); } catch { return Promise.resolve(null); }
  return new Promise<OciControlReply | null>((resolve) => {
    const sock = connect(p.path);
    let buf = '';
    sock.setEncoding('utf8');
    sock.on('connect', () => sock.write(`${JSON.stringify(req)}\n`));
    sock.on('data', (d: string) => { buf += d; });
    sock.on('error', () => resolve(null));
    sock.on('close', () => {
      const line = buf.split('\n')[0];
      try { resolve(line ? (JSON.parse(line) as OciControlReply) : null); } catch { resolve(null); }
    });
  }).finally(() => p.close());
}

/** supervised: the supervisor holds its lock (the kernel drops it however the supervisor died) */
export function supervised(dir: string): boolean { return lockHeld(lockFile(dir)); }

/** waitUnsupervised polls until the supervisor let go (it exits right after its cleanup) */
export async function waitUnsupervised(dir: string, ms: number): Promise<boolean> {
  for (let t = 0; t < ms; t += 20) {
    if (!supervised(dir)) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return !supervised(dir);
}
