// sandbox/control.ts — the CLI's side of the control socket: one request, one reply (CLI process)
import { connect } from 'node:net';
import { bindable, socketPath } from './containers.js';
import type { ControlReply, ControlRequest } from './supervise.js';

/** request sends one line and resolves with the reply, or null when nobody listens (supervisor gone). */
export function request(stateDir: string, req: ControlRequest): Promise<ControlReply | null> {
  let path: ReturnType<typeof bindable>;
  try { path = bindable(socketPath(stateDir)); } catch { return Promise.resolve(null); }
  return new Promise<ControlReply | null>((resolve) => {
    const sock = connect(path.path);
    let buf = '';
    sock.setEncoding('utf8');
    sock.on('connect', () => sock.write(`${JSON.stringify(req)}\n`));
    sock.on('data', (d: string) => { buf += d; });
    sock.on('error', () => resolve(null));
    sock.on('close', () => {
      const line = buf.split('\n')[0];
      try { resolve(line ? (JSON.parse(line) as ControlReply) : null); } catch { resolve(null); }
    });
  }).finally(() => path.close());
}
