// audit/follow.ts — tail -f of an audit log: every whole line as it is appended (CLI, reads the log)
//
// inotify (fs.watch) wakes the reader promptly; a slow poll backs it up, since a watch can miss
// events (the file not there yet, or replaced). Only whole lines are handed out: a line being
// written is picked up once its newline is there.
import { watch, type FSWatcher } from 'node:fs';
import { eachLine } from './lines.js';
import { AuditError, errnoReason } from './errors.js';

export interface FollowOptions {
  /** stops following (the promise then resolves) */
  readonly signal?: AbortSignal;
  /** start at the end of the file instead of its beginning */
  readonly fromEnd?: boolean;
  /** the backup poll (ms) */
  readonly pollMs?: number;
}

/** follow calls onLine with each line's text (no newline) until the signal aborts; onLine returns false to stop. */
export function follow(path: string, onLine: (text: string) => boolean | void, opts: FollowOptions = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    let offset = 0;
    let started = !opts.fromEnd;
    let watcher: FSWatcher | null = null;
    let stopped = false;
    const stop = (err?: unknown): void => {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      watcher?.close();
      opts.signal?.removeEventListener('abort', onAbort);
      if (err) reject(err); else resolve();
    };
    const onAbort = (): void => stop();
    const read = (): void => {
      if (stopped) return;
      try {
        if (!watcher) watcher = watch(path, () => read());
        let quit = false;
        offset = eachLine(path, ({ bytes, terminated }) => {
          if (!terminated || !started) return true;
          if (onLine(bytes.toString('utf8')) === false) { quit = true; return false; }
          return true;
        }, offset);
        started = true;
        if (quit) stop();
      } catch (err) {
        // the log may not exist yet (the container is being created): keep polling
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') stop(new AuditError('follow audit log', path, errnoReason(err), err));
        else { started = true; }
      }
    };
    const timer = setInterval(read, opts.pollMs ?? 250);
    if (opts.signal?.aborted) { stop(); return; }
    opts.signal?.addEventListener('abort', onAbort);
    read();
  });
}
