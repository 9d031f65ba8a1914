// sandbox/notify/watchdog.ts — kills the container of a hung supervisor: a notification waits and the loop made no progress (a worker thread of the supervisor process)
//
// A dead supervisor takes its container with it (PDEATHSIG); a live but stuck one (a blocked event
// loop) would leave every notified syscall of the container waiting forever. The watchdog runs on
// its own thread, so it still runs when the event loop does not: when the listener has had a
// notification pending for `stallMs` while the loop's heartbeat stood still, it SIGKILLs the
// container's pid 1 through a pidfd (no pid-reuse race), which ends the whole pid namespace.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

const WORKER = `
const { workerData, parentPort } = require('node:worker_threads');
const koffi = require(workerData.koffi);
const c = koffi.load('libc.so.6');
const poll = c.func('int poll(void *, unsigned long, int)');
const syscall = c.func('long syscall(long, ...)');
// pidfd_open and pidfd_send_signal: the same numbers on x86_64 and aarch64 (the unified table)
const NR = { open: 434, signal: 424 };
const beat = new Int32Array(workerData.sab);
const pidfd = Number(syscall(NR.open, 'int', workerData.pid, 'unsigned int', 0));
let last = Atomics.load(beat, 0), since = 0;
const pfd = Buffer.alloc(8); pfd.writeInt32LE(workerData.fd, 0); pfd.writeInt16LE(1, 4);
parentPort.postMessage('ready');
for (;;) {
  if (Atomics.load(beat, 1) === 1 || pidfd < 0) break;
  Atomics.wait(beat, 1, 0, workerData.tick);
  if (Atomics.load(beat, 1) === 1) break;
  pfd.writeInt16LE(0, 6);
  const pending = poll(pfd, 1, 0) > 0 && (pfd.readInt16LE(6) & 1);
  const now = Atomics.load(beat, 0);
  if (!pending || now !== last) { last = now; since = 0; continue; }
  since += workerData.tick;
  if (since >= workerData.stallMs) {
    syscall(NR.signal, 'int', pidfd, 'int', 9, 'void *', null, 'unsigned int', 0);
    Atomics.store(beat, 2, 1);
    break;
  }
}
`;

export class Watchdog {
  private readonly sab = new SharedArrayBuffer(12);
  private readonly beatArr = new Int32Array(this.sab);
  private readonly worker: Worker;
  private readonly exited: Promise<void>;
  private readonly ready: Promise<void>;
  /** the worker thread has exited */
  gone = false;

  /** fd: the listener (read-only use: poll); pid: the container's pid 1 (host pid) */
  constructor(fd: number, pid: number, readonly stallMs = 10_000) {
    const koffi = createRequire(import.meta.url).resolve('koffi');
    this.worker = new Worker(WORKER, { eval: true, workerData: { fd, pid, stallMs, tick: Math.max(10, Math.floor(stallMs / 10)), sab: this.sab, koffi } });
    this.worker.unref();
    this.exited = new Promise((r) => this.worker.once('exit', () => { this.gone = true; r(); }));
    this.ready = Promise.race([new Promise<void>((r) => this.worker.once('message', () => r())), this.exited]);
    this.worker.on('error', () => { /* the watchdog is a backstop; the supervisor goes on without it */ });
  }

  /** beat: the loop made progress (a notification answered, or a wait returned) */
  beat(): void { Atomics.add(this.beatArr, 0, 1); }

  /** fired: the watchdog killed the container */
  get fired(): boolean { return Atomics.load(this.beatArr, 2) === 1; }

  /**
   * stop before the listener fd is closed: the worker polls it by number. It first waits for the
   * worker to have loaded koffi: a process that exits while a worker is inside a native module's
   * init dies of a fatal napi_throw (seen once in CI: a fresh clone, a cold page cache, a loaded
   * machine and a container that ended in milliseconds; the old 2 s bound ran out first).
   */
  async stop(): Promise<void> {
    await within(this.ready, 30_000);
    Atomics.store(this.beatArr, 1, 1);
    Atomics.notify(this.beatArr, 1);
    await within(this.exited, 2000);
  }
}

async function within(p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise<void>((r) => { timer = setTimeout(r, ms); })]);
  clearTimeout(timer);
}
