// sandbox/notify/emulate.ts — emulated opens: read the path once, have the helper open it inside the container's root, record, inject the fd with ADDFD|SEND (supervisor process)
//
// DESIGN §5: a supervisor that reads a path, decides and answers CONTINUE can be raced — the kernel
// reads the path again after the answer, and another thread may have rewritten it in between. An
// emulated open is never answered CONTINUE. The order, and why:
//   1. read the path (and openat2's open_how) ONCE, bounded, into our own memory;
//   2. NOTIF_ID_VALID: the copy is only the caller's request while the caller is still stopped in
//      this very syscall (otherwise the pid may be another process by now);
//   3. hand that copy to the helper (native/openhelper), which resolves it inside the container's
//      root, decides on the resolved path and opens it — never reading the caller's memory again;
//   4. write the audit line (synchronously) — before the answer, so nothing is answered unrecorded;
//   5. SECCOMP_IOCTL_NOTIF_ADDFD with SECCOMP_ADDFD_FLAG_SEND: the fd is installed and the call
//      answered with its number in one step (no window where the fd exists but the call is pending);
//      a refusal is answered with its errno.
// The helper runs with no more privilege than the container (its user and mount namespaces, its ids,
// no capabilities), so the open itself is checked by the kernel as the container's would be. If the
// helper is gone, every emulated open is refused (fail closed), never continued.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { errnoName } from '../../abi/index.js';
import type { SyscallInput } from '../../audit/events.js';
import type { AuditWriter } from '../../audit/writer.js';
import type { EmulateRule } from '../../policy/types.js';
import { PACKAGE_ROOT } from '../paths.js';
import { flagsText } from './record.js';
import type { NotifyEntry } from './rules.js';
import { closeFd, errno as lastErrno, ioctl, readMemory, recvFd, socketPair } from './sys.js';

/** the helper binary (native/openhelper/openhelper.c) */
export const OPEN_HELPER_PATH = join(PACKAGE_ROOT, 'build', 'openhelper');

const NOTIF_SEND = 0xc0182101;
const NOTIF_ID_VALID = 0x40082102;
const NOTIF_ADDFD = 0x40182103;
const ADDFD_FLAG_SEND = 2;
const O_CLOEXEC = 0x80000;
const O_CREAT = 0x40;
const O_WRONLY = 0x1;
const O_TRUNC = 0x200;
const AT_FDCWD = -100;
const EPERM = 1, ENOENT = 2, EFAULT = 14, EACCES = 13, EINVAL = 22, E2BIG = 7, ENAMETOOLONG = 36;
const PATH_MAX = 4096;
const PAGE = 4096;
/** open_how: flags, mode, resolve (u64 each); a larger struct's tail must be zero (the kernel's rule) */
const OPEN_HOW = 24;
const REQ = 56;
const REP = 16;

/** one notification routed to an emulate entry (what the loop already decoded from the registers) */
export interface EmulateCall {
  readonly id: bigint;
  readonly pid: number;
  readonly nr: number;
  readonly name: string;
  readonly arch: string;
  readonly args: readonly bigint[];
  readonly entry: NotifyEntry;
}

export interface EmulatorOptions {
  readonly fd: number;
  readonly rules: readonly EmulateRule[];
  readonly writer: AuditWriter;
  /** the log could not take a line: end the container */
  readonly onFatal?: (err: Error) => void;
  /** progress (the watchdog's heartbeat) */
  readonly beat?: () => void;
}

interface Pending { call: EmulateCall; seq: number; proc: SyscallInput['proc']; flags: bigint; requested: string }

interface Caller { nsPid: number; nsTid: number; umask: number; fsuid: number; fsgid: number; comm?: string; uid: number; gid: number }

/** readPath: the NUL-terminated path at addr, as bytes (paths need not be UTF-8), page by page, at most PATH_MAX */
export function readPath(read: (addr: bigint, len: number) => Buffer, addr: bigint): Buffer | number {
  if (addr === 0n) return EFAULT;
  const parts: Buffer[] = [];
  let got = 0;
  let at = addr;
  while (got < PATH_MAX) {
    const want = Math.min(PAGE - Number(at % BigInt(PAGE)), PATH_MAX - got);
    const b = read(at, want);
    const nul = b.indexOf(0);
    if (nul >= 0) { parts.push(b.subarray(0, nul)); return Buffer.concat(parts); }
    parts.push(b);
    got += b.length;
    if (b.length < want) return EFAULT;
    at += BigInt(b.length);
  }
  return ENAMETOOLONG;
}

function callerOf(pid: number): Caller | undefined {
  try {
    const st = readFileSync(`/proc/${pid}/status`, 'utf8');
    const f = (k: string) => st.match(new RegExp(`^${k}:\\s*(.*)$`, 'm'))?.[1]?.trim().split(/\s+/);
    const tgid = f('NStgid'), tid = f('NSpid'), uid = f('Uid'), gid = f('Gid');
    if (!tgid || !tid || !uid || !gid) return undefined;
    return {
      nsPid: Number(tgid[tgid.length - 1]), nsTid: Number(tid[tid.length - 1]), umask: parseInt(f('Umask')?.[0] ?? '022', 8),
      fsuid: Number(uid[3]), fsgid: Number(gid[3]), uid: Number(uid[0]), gid: Number(gid[0]), ...(f('Name') ? { comm: f('Name')!.join(' ') } : {}),
    };
  } catch { return undefined; }
}

/** inside: a host id → the id inside the namespace of pid (its uid_map or gid_map, read from the host) */
function inside(pid: number, file: 'uid_map' | 'gid_map', host: number): number | undefined {
  for (const l of readFileSync(`/proc/${pid}/${file}`, 'utf8').split('\n')) {
    const [i, o, n] = l.trim().split(/\s+/).map(Number);
    if (n !== undefined && host >= o! && host < o! + n) return i! + (host - o!);
  }
  return undefined;
}

/** Emulator: the helper process and the calls waiting on it, for one container */
export class Emulator {
  private helper: ChildProcess | undefined;
  private sock = -1;
  private dead: string | undefined;
  private seq = 0;
  private readonly pending: Pending[] = [];
  private buf: Buffer = Buffer.alloc(0);
  private readonly idBuf = Buffer.alloc(8);
  private readonly resp = Buffer.alloc(24);
  private readonly addfd = Buffer.alloc(24);
  /** the host ids the helper acts as (a caller with other fs ids is refused: the helper would not be it) */
  private ids: { uid: number; gid: number } | undefined;
  readonly stats = { emulated: 0, refused: 0, gone: 0 };

  constructor(private readonly o: EmulatorOptions) {}

  /** the helper's pid (tests, diagnostics) */
  get helperPid(): number | undefined { return this.helper?.pid; }

  /** handle: steps 1–3 now; 4–5 when the helper answers. Never blocks the event loop. */
  handle(c: EmulateCall): void {
    const read = (addr: bigint, len: number) => readMemory(c.pid, addr, len);
    let flags: bigint, mode = 0n, resolve = 0n, dirfd = AT_FDCWD, pathArg: bigint;
    let early = 0;
    switch (c.name) {
      case 'open': pathArg = c.args[0]!; flags = c.args[1]! & 0xffffffffn; mode = c.args[2]!; break;
      case 'creat': pathArg = c.args[0]!; flags = BigInt(O_CREAT | O_WRONLY | O_TRUNC); mode = c.args[1]!; break;
      case 'openat': dirfd = Number(BigInt.asIntN(32, c.args[0]!)); pathArg = c.args[1]!; flags = c.args[2]! & 0xffffffffn; mode = c.args[3]!; break;
      default: { // openat2(dirfd, path, how, size): how is read once, with the path, and the copy is what counts
        dirfd = Number(BigInt.asIntN(32, c.args[0]!)); pathArg = c.args[1]!;
        const size = c.args[3]!;
        flags = 0n;
        if (size < BigInt(OPEN_HOW)) early = EINVAL;
        else if (size > BigInt(PAGE)) early = E2BIG;
        else {
          const how = read(c.args[2]!, Number(size));
          if (how.length < Number(size)) early = EFAULT;
          else if (how.subarray(OPEN_HOW).some((b) => b !== 0)) early = E2BIG;
          else { flags = how.readBigUInt64LE(0); mode = how.readBigUInt64LE(8); resolve = how.readBigUInt64LE(16); }
        }
      }
    }
    if (c.name !== 'openat2') mode &= 0o7777n; // open(2) ignores the rest; openat2 would refuse it
    const path = early ? early : readPath(read, pathArg);
    const who = callerOf(c.pid);
    // step 2: everything read above — its memory and its /proc/<pid> credentials — is the caller's
    // only while it is still stopped in this call (otherwise the pid may be another process by now)
    if (!this.idValid(c.id)) { this.stats.gone++; return; }
    const proc: SyscallInput['proc'] = { pid: c.pid, ...(who ? { nsPid: who.nsPid, uid: who.uid, gid: who.gid, ...(who.comm ? { comm: who.comm } : {}) } : {}) };
    const requested = typeof path === 'number' ? '' : path.toString('utf8');
    const fail = (err: number, why: string) => this.finish({ call: c, seq: -1, proc, flags, requested }, err, why, 'deny', requested || undefined);
    if (typeof path === 'number') return fail(path, `emulate: the request could not be read (${errnoName(path)})`);
    if (!who) return fail(EPERM, 'emulate: the caller\'s credentials could not be read (fail closed)');
    if (this.dead === undefined && !this.helper && !this.start(c.pid, () => this.idValid(c.id))) { this.stats.gone++; return; }
    if (this.dead !== undefined) return fail(EPERM, `emulate: ${this.dead} (fail closed)`);
    if (who.fsuid !== this.ids!.uid || who.fsgid !== this.ids!.gid) {
      return fail(EACCES, `emulate: the helper opens as host uid ${this.ids!.uid}/gid ${this.ids!.gid}, the caller runs as ${who.fsuid}/${who.fsgid}`);
    }
    // step 3: the copy, and only the copy, goes to the helper
    const q = Buffer.alloc(REQ);
    const seq = ++this.seq >>> 0;
    q.writeUInt32LE(seq, 0);
    q.writeInt32LE(dirfd, 4);
    q.writeUInt32LE(who.nsPid, 8);
    q.writeUInt32LE(who.nsTid, 12);
    q.writeUInt32LE(who.umask, 16);
    q.writeUInt32LE(c.entry.emulate ?? 0xffffffff, 20);
    // O_CLOEXEC belongs to the caller's fd table, not the file: it travels as ADDFD's newfd_flags
    q.writeBigUInt64LE(flags & ~BigInt(O_CLOEXEC), 24);
    q.writeBigUInt64LE(mode, 32);
    q.writeBigUInt64LE(resolve, 40);
    q.writeUInt32LE(path.length, 48);
    this.pending.push({ call: c, seq, proc, flags, requested });
    this.helper!.stdin!.write(Buffer.concat([q, path]));
  }

  /** stop: EOF ends the helper (it also dies with us: PDEATHSIG); calls still waiting are refused */
  stop(): void {
    if (this.dead === undefined) this.dead = 'the supervisor is stopping';
    this.helper?.stdin?.end();
    if (this.helper && this.helper.exitCode === null) this.helper.kill('SIGKILL');
    this.failAll();
    if (this.sock >= 0) { closeFd(this.sock); this.sock = -1; }
  }

  /**
   * start: the helper, joined to the namespaces of pid (any container process: they share them).
   * false: the caller was gone once its namespaces were opened — they may be another process's, so
   * nothing is started (the next emulated open tries again); a failure to start sets `dead`.
   */
  private start(pid: number, stillCaller: () => boolean): boolean {
    const who = callerOf(pid);
    let fds: number[] = [];
    try {
      if (!who) throw new Error(`process ${pid} is gone`);
      const uid = inside(pid, 'uid_map', who.fsuid), gid = inside(pid, 'gid_map', who.fsgid);
      if (uid === undefined || gid === undefined) throw new Error(`process ${pid} runs as ids its namespace does not map`);
      // the namespace fds are opened by us on the host and handed over; the helper joins and closes them
      fds = [openSync(`/proc/${pid}/ns/user`, 'r'), openSync(`/proc/${pid}/ns/mnt`, 'r')];
      // opened by pid: they are the container's only if the caller is still stopped in its call now
      if (!stillCaller()) return false;
      const [mine, theirs] = socketPair();
      this.sock = mine;
      const args = [String(uid), String(gid), ...this.o.rules.flatMap((r, i) => r.paths.map((p) => `${i}:${r.mode}:${p}`))];
      const child = spawn(OPEN_HELPER_PATH, args, { stdio: ['pipe', 'pipe', 'inherit', fds[0]!, fds[1]!, theirs] });
      closeFd(theirs);
      this.helper = child;
      this.ids = { uid: who.fsuid, gid: who.fsgid };
      child.on('error', (e) => this.died(`the helper could not run: ${e.message}`));
      child.on('exit', (code, sig) => this.died(`the helper exited (${sig ?? `code ${code}`})`));
      child.stdin!.on('error', () => { /* exit says why */ });
      child.stdout!.on('data', (d: Buffer) => this.replies(d));
    } catch (e) {
      this.dead = `the helper could not start: ${(e as Error).message}`;
    } finally {
      for (const fd of fds) closeSync(fd);
    }
    return true;
  }

  private died(why: string): void {
    if (this.dead === undefined) this.dead = why;
    this.failAll();
  }

  private failAll(): void {
    for (const p of this.pending.splice(0)) this.finish(p, EPERM, `emulate: ${this.dead} (fail closed)`, 'deny', p.requested);
  }

  private replies(d: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    while (this.buf.length >= REP) {
      const len = this.buf.readUInt32LE(12);
      if (this.buf.length < REP + len) return;
      const seq = this.buf.readUInt32LE(0), err = this.buf.readInt32LE(4), refused = this.buf.readUInt32LE(8);
      const text = this.buf.subarray(REP, REP + len).toString('utf8');
      this.buf = this.buf.subarray(REP + len);
      const p = this.pending.shift();
      if (!p || p.seq !== seq) { this.died('the helper answered out of order'); this.helper?.kill('SIGKILL'); return; }
      if (err === 0) {
        // the helper sent the fd before the reply that announces it
        const fd = recvFd(this.sock);
        if (fd < 0) { this.finish(p, EPERM, 'emulate: the helper\'s fd did not arrive (fail closed)', 'deny', text); continue; }
        this.finish(p, 0, undefined, 'emulate', text, fd);
      } else if (refused === 1) {
        const rule = this.o.rules[p.call.entry.emulate ?? -1];
        this.finish(p, rule?.errno ?? EACCES, undefined, 'deny', text);
      } else if (refused === 2) {
        this.finish(p, err, `emulate: ${text}`, 'deny', p.requested);
      } else {
        this.finish(p, err, undefined, 'emulate', text);
      }
    }
  }

  /** steps 4 and 5: the line, then the answer (the fd, or the errno) */
  private finish(p: Pending, err: number, why: string | undefined, action: 'emulate' | 'deny', path: string | undefined, fd = -1): void {
    const c = p.call;
    const line: SyscallInput = {
      event: 'syscall',
      proc: p.proc,
      syscall: { nr: c.nr, name: c.name, arch: c.arch, args: [flagsText(p.flags)], ...(err ? { errno: errnoName(err) } : {}) },
      decision: { action, rule: why ?? c.entry.source ?? 'emulate', source: 'emulate', layer: 'notify' },
      ...(path ? { resource: { path } } : {}),
    };
    try {
      this.o.writer.append(line);
    } catch (e) {
      // unrecorded must not proceed: no fd for this call, and the container ends
      if (fd >= 0) { closeFd(fd); fd = -1; }
      err ||= EPERM;
      this.o.onFatal?.(e as Error);
    }
    this.o.beat?.();
    if (fd >= 0) {
      const a = this.addfd.fill(0);
      a.writeBigUInt64LE(c.id, 0);
      a.writeUInt32LE(ADDFD_FLAG_SEND, 8);
      a.writeUInt32LE(fd, 12);
      a.writeUInt32LE(0, 16);
      a.writeUInt32LE((p.flags & BigInt(O_CLOEXEC)) ? O_CLOEXEC : 0, 20);
      const r = ioctl(this.o.fd, NOTIF_ADDFD, a);
      const e = r < 0 ? lastErrno() : 0;
      closeFd(fd);
      if (r >= 0) { this.stats.emulated++; return; }
      if (e === ENOENT) { this.stats.gone++; return; } // the caller is gone (killed, or interrupted and restarting)
      err = e; // EMFILE and the like: the call fails as the kernel's own open would
    } else if (action === 'deny') this.stats.refused++;
    else if (err === 0) err = EPERM; // never CONTINUE
    const r = this.resp.fill(0);
    r.writeBigUInt64LE(c.id, 0);
    r.writeInt32LE(-err, 16);
    if (ioctl(this.o.fd, NOTIF_SEND, r) < 0) this.stats.gone++;
  }

  private idValid(id: bigint): boolean {
    this.idBuf.writeBigUInt64LE(id);
    return ioctl(this.o.fd, NOTIF_ID_VALID, this.idBuf) === 0;
  }
}

