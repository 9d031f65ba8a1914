// oci/pidfile.ts — runc's --pid-file (CLI process)
import { renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** writePidFile writes PID the way runc does, atomically: the caller may poll for the file */
export function writePidFile(file: string, pid: number): void {
  const tmp = join(dirname(resolve(file)), `.${process.pid}.pid.tmp`);
  writeFileSync(tmp, String(pid));
  renameSync(tmp, file);
}
