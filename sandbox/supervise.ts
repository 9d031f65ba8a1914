// sandbox/supervise.ts — what every supervisor does for its container: state, stop/kill/wait, control socket (runtime process or detached supervisor)
//
// The foreground CLI and the detached supervisor both own a running container through this class,
// so `ps`, `stop`, `kill` and `wait` behave the same for either. The control protocol is one JSON
// line each way over a unix socket in the container's runtime state dir (0700, root's own).
import { createServer, type Server } from 'node:net';
import { rmSync } from 'node:fs';
import type { LaunchHandle } from './launcher.js';
import { bindable, processStart, writeState, type ContainerState } from './containers.js';

export interface ControlRequest { op: 'status' | 'signal' | 'stop' | 'wait'; sig?: number; timeout?: number }
export interface ControlReply { ok: boolean; state?: ContainerState; error?: string }

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
        buf = '\u0000'; // one request per connection
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
}
