// sandbox/notify/watchdog.ts — kills the container of a hung supervisor: a notification waits and the loop made no progress (a child process of the supervisor)
//
// A dead supervisor takes its container with it (PDEATHSIG); a live but stuck one (a blocked event
// loop) would leave every notified syscall of the container waiting forever. The watchdog is
// native/watchdog/watchdog.c, a process of its own, so it still runs when the event loop does not:
// it holds a copy of the listener and polls it; on each of our ticks where the loop made progress
// we write it a byte. A notification pending for `stallMs` with no byte gets the container's pid 1
// SIGKILLed through a pidfd (no pid-reuse race), which ends the whole pid namespace.
//
// It was a worker thread: a second V8 isolate plus koffi cost the supervisor ~11 MB of RSS, and a
// process exiting while the worker was inside koffi's native init died of a fatal napi_throw.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { WATCHDOG_PATH } from '../paths.js';

export class Watchdog {
  private readonly child: ChildProcess | undefined;
  private readonly closed: Promise<void>;
  private readonly timer: NodeJS.Timeout | undefined;
  private beats = 0;
  private sent = 0;
  private firedFlag = false;
  /** the watchdog process has exited */
  gone = false;
  /** the watchdog process's pid (undefined when it could not be started) */
  readonly pid: number | undefined;

  /** fd: the listener (the watchdog only polls its copy); pid: the container's pid 1 (host pid) */
  constructor(fd: number, pid: number, readonly stallMs = 10_000) {
    const tick = Math.max(10, Math.floor(stallMs / 10));
    if (!existsSync(WATCHDOG_PATH)) {
      // a backstop, not a gate: the supervisor goes on without it (and says so in its log)
      process.stderr.write(`tssandbox: watchdog \`${WATCHDOG_PATH}\`: not built (run npm run build); a hung supervisor will not be detected\n`);
      this.gone = true;
      this.closed = Promise.resolve();
      return;
    }
    const child = spawn(WATCHDOG_PATH, [String(stallMs), String(tick), String(pid)], { stdio: ['pipe', 'pipe', 'inherit', fd] });
    this.child = child;
    this.pid = child.pid;
    child.stdin!.on('error', () => { /* it exited: nothing left to beat */ });
    child.stdout!.setEncoding('utf8').on('data', (d: string) => { if (d.includes('fired')) this.firedFlag = true; });
    this.closed = new Promise((r) => child.once('close', () => { this.gone = true; r(); }));
    child.on('error', () => { this.gone = true; });
    child.unref();
    (child.stdin as unknown as { unref?: () => void }).unref?.();
    (child.stdout as unknown as { unref?: () => void }).unref?.();
    // one byte per tick in which the loop made progress: a blocked event loop sends none
    this.timer = setInterval(() => {
      if (this.beats === this.sent || this.gone) return;
      this.sent = this.beats;
      child.stdin!.write('b');
    }, tick);
    this.timer.unref();
  }

  /** beat: the loop made progress (a notification answered, or a wait returned) */
  beat(): void { this.beats++; }

  /** fired: the watchdog killed the container */
  get fired(): boolean { return this.firedFlag; }

  /** stop: EOF on its stdin ends it; resolves once it is gone (bounded: it is a backstop) */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    if (!this.child || this.gone) return;
    this.child.stdin!.end();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.closed, new Promise<void>((r) => { timer = setTimeout(r, 2000); })]);
    clearTimeout(timer);
    if (!this.gone) this.child.kill('SIGKILL');
  }
}
