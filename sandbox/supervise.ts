// sandbox/supervise.ts — what every supervisor does for its container: state, stop/kill/wait, control socket (runtime process or detached supervisor)
//
// The foreground CLI and the detached supervisor both own a running container through this class,
// so `ps`, `stop`, `kill` and `wait` behave the same for either. The control protocol is one JSON
// line each way over a unix socket in the container's runtime state dir (0700, root's own) — but
// for `exec`, whose connection lasts the exec session: the registration and its answer, then the
// exec's exit report (sandbox/exec-audit.ts).
import { createServer, type Server, type Socket } from 'node:net';
import { rmSync } from 'node:fs';
import type { LaunchHandle } from './launcher.js';
import { bindable, processStart, writeState, type ContainerState } from './containers.js';

export interface ControlRequest { op: 'status' | 'signal' | 'stop' | 'wait' | 'exec'; sig?: number; timeout?: number; exec?: ExecRegistration }
export interface ControlReply { ok: boolean; state?: ContainerState; error?: string; /** exec: the session's id in the audit log */ exec?: string }

/** what the exec CLI registers: where its copy of the exec's seccomp listener is, and what it ran */
export interface ExecRegistration {
  /** the exec CLI's pid and the listener's fd number in it (the supervisor takes its own copy with pidfd_getfd) */
  readonly pid: number;
  /** -1 under --supervisor ptrace, where there is no listener: `traced` instead */
  readonly fd: number;
  /** --supervisor ptrace: the exec'd process's host pid, waiting before its traced filter for the supervisor's tracer to seize it */
  readonly traced?: number;
  /** host pid of the exec'd process */
  readonly payloadPid?: number;
  readonly argv: readonly string[];
  readonly user?: string;
  readonly tty?: boolean;
}

/** the exec CLI's second and last line: how the exec'd process ended */
export interface ExecExitReport { op: 'exec.exited'; code: number | null; signal?: number }

/** ExecSession: a registered exec, told how it ended (once) */
export interface ExecSession { readonly id: string; exited(code: number | null, signal: number | undefined, reason?: string): void }

export class Supervisor {
  state: ContainerState;
  private handle: LaunchHandle | undefined;
  private killTimer: NodeJS.Timeout | undefined;
  private timeoutTimer: NodeJS.Timeout | undefined;
  private readonly waiters: ((s: ContainerState) => void)[] = [];
  private reason: string | undefined;
  timedOut = false;
  private server: Server | undefined;
  private finished = false;
  /** set by an audited container's owner: takes an exec's listener over and answers it (throws with the reason it cannot) */
  execHandler: ExecHandler | undefined;
  /** exec connections still open (done() ends them: a finished supervisor must not wait on an exec's CLI) */
  private readonly execSocks = new Set<Socket>();

  constructor(private readonly root: string, private readonly id: string, private readonly stopSignal = 15) {
    this.state = { status: 'created', supervisor: { pid: process.pid, start: processStart(process.pid) ?? '' } };
  }

  attach(handle: LaunchHandle, timeoutS?: number): void {
    this.handle = handle;
    if (timeoutS) this.timeoutTimer = setTimeout(() => { this.timedOut = true; this.reason = `ran past --timeout ${timeoutS}s`; handle.signal(9); }, timeoutS * 1000);
  }

  /** the payload exists (pid) or exec'd (started): the record says running from here */
  running(pid: number | undefined): void {
    this.state = { ...this.state, status: 'running', ...(pid ? { pid } : {}), startedAt: this.state.startedAt ?? new Date().toISOString() };
    writeState(this.root, this.id, this.state);
  }

  signal(sig: number): void {
    if (sig === 9) this.reason ??= 'killed (SIGKILL)';
    this.handle?.signal(sig);
  }

  /** stop: the stop signal, then SIGKILL after `timeout` seconds (docker's stop) */
  stop(sig = this.stopSignal, timeoutS = 10): void {
    this.reason ??= 'stopped';
    this.handle?.signal(sig);
    if (!this.killTimer) this.killTimer = setTimeout(() => this.handle?.signal(9), Math.max(0, timeoutS) * 1000);
  }

  /** exited records the end; cleanup runs after, and waiters hear only once it is done */
  exited(code: number, oomKilled: boolean): ContainerState {
    if (this.killTimer) clearTimeout(this.killTimer);
    if (this.timeoutTimer) clearTimeout(this.timeoutTimer);
    const { supervisor: _s, pid: _p, ...rest } = this.state;
    this.state = {
      ...rest, status: 'exited', exitCode: code, oomKilled, timedOut: this.timedOut, finishedAt: new Date().toISOString(),
      ...(oomKilled ? { reason: 'out of memory' } : this.reason ? { reason: this.reason } : {}),
    };
    writeState(this.root, this.id, this.state);
    return this.state;
  }

  /** done: everything is cleaned up; answer the waiters and stop listening */
  done(): void {
    this.finished = true;
    for (const w of this.waiters.splice(0)) w(this.state);
    for (const s of this.execSocks) s.destroy();
    this.server?.close();
  }

  serve(file: string): Server {
    rmSync(file, { force: true });
    // the state dir's fd (when the path is too long) stays open as long as the server listens
    const { path, close } = bindable(file);
    const server = createServer({ allowHalfOpen: false }, (sock) => {
      let buf = '';
      sock.setEncoding('utf8');
      sock.on('error', () => { /* the client went away */ });
      sock.on('data', (d: string) => {
        buf += d;
        const nl = buf.indexOf('\n');
        if (nl < 0) { if (buf.length > 4096) sock.destroy(); return; }
        const reply = (r: ControlReply) => { if (!sock.destroyed) sock.end(`${JSON.stringify(r)}\n`); };
        let req: ControlRequest;
        try { req = JSON.parse(buf.slice(0, nl)) as ControlRequest; } catch { reply({ ok: false, error: 'malformed request' }); return; }
        const rest = buf.slice(nl + 1);
        buf = '\u0000'; // one request per connection
        if (req.op === 'exec') { sock.removeAllListeners('data'); this.serveExec(sock, req.exec, rest); return; }
        const later = () => { if (this.finished) reply({ ok: true, state: this.state }); else this.waiters.push((s) => reply({ ok: true, state: s })); };
        switch (req.op) {
          case 'status': reply({ ok: true, state: this.state }); break;
          case 'signal': this.signal(req.sig ?? 15); reply({ ok: true, state: this.state }); break;
          case 'stop': this.stop(req.sig ?? this.stopSignal, req.timeout ?? 10); later(); break;
          case 'wait': later(); break;
          default: reply({ ok: false, error: `unknown op ${String(req.op)}` });
        }
      });
    });
    server.on('error', () => { /* a failed listen leaves the container without remote control, not without a supervisor */ });
    server.on('close', close);
    server.listen(path);
    this.server = server;
    return server;
  }

  /** serveExec: register an exec, answer with its id, then wait for its exit report (or the CLI's going away) */
  private serveExec(sock: Socket, reg: ExecRegistration | undefined, rest: string): void {
    serveExec(sock, this.execHandler, reg, rest, this.execSocks);
  }
}

/** takes an exec over (a listener copied, or a tracer attached: async) or throws with the reason it cannot */
export type ExecHandler = (reg: ExecRegistration) => ExecSession | Promise<ExecSession>;

/** serveExec: the exec op of a control socket (this supervisor's and the OCI one's, oci/supervisor-main.ts); `open` tracks the connection while it lasts */
export function serveExec(sock: Socket, handler: ExecHandler | undefined, reg: ExecRegistration | undefined, rest: string, open: Set<Socket>): void {
  const send = (r: ControlReply) => { if (!sock.destroyed) sock.write(`${JSON.stringify(r)}\n`); };
  // data that comes while a tracer attaches waits in `rest` (the CLI sends its exit report only after our answer)
  let early = rest;
  const hold = (d: string) => { early += d; };
  sock.on('data', hold);
  let taken: Promise<ExecSession>;
  try {
    if (!handler) throw new Error('the container is not audited');
    if (!validRegistration(reg)) throw new Error('malformed exec registration');
    taken = Promise.resolve(handler(reg));
  } catch (e) {
    taken = Promise.reject(e);
  }
  taken.then((session) => {
    sock.off('data', hold);
    // the CLI went away while a tracer attached: its 'close' has passed, so say so here
    if (sock.destroyed) { session.exited(null, undefined, 'the exec\'s CLI went away before it reported the exit'); return; }
    answered(sock, session, early, open, send);
  }, (e: unknown) => {
    send({ ok: false, error: (e as Error).message });
    sock.end();
  });
}

function answered(sock: Socket, session: ExecSession, rest: string, open: Set<Socket>, send: (r: ControlReply) => void): void {
  send({ ok: true, exec: session.id });
  open.add(sock);
  let buf = rest;
  let reported = false;
  const take = () => {
    const nl = buf.indexOf('\n');
    if (nl < 0) { if (buf.length > 4096) sock.destroy(); return; }
    try {
      const m = JSON.parse(buf.slice(0, nl)) as ExecExitReport;
      if (m.op === 'exec.exited' && (m.code === null || Number.isInteger(m.code))) {
        reported = true;
        session.exited(m.code, Number.isInteger(m.signal) && m.signal! > 0 ? m.signal : undefined);
      }
    } catch { /* malformed: recorded below as not reported */ }
    sock.end();
  };
  sock.on('data', (d: string) => { buf += d; take(); });
  sock.on('close', () => { open.delete(sock); if (!reported) session.exited(null, undefined, 'the exec\'s CLI went away before it reported the exit'); });
  if (buf) take();
}

function validRegistration(r: ExecRegistration | undefined): r is ExecRegistration {
  return !!r && Number.isInteger(r.pid) && r.pid > 0 && Number.isInteger(r.fd)
    && (r.traced === undefined ? r.fd >= 0 : Number.isInteger(r.traced) && r.traced > 0)
    && Array.isArray(r.argv) && r.argv.length > 0 && r.argv.every((a) => typeof a === 'string')
    && (r.payloadPid === undefined || (Number.isInteger(r.payloadPid) && r.payloadPid > 0))
    && (r.user === undefined || typeof r.user === 'string') && (r.tty === undefined || typeof r.tty === 'boolean');
}
