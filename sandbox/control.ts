// sandbox/control.ts — the CLI's side of the control socket: one request, one reply; an exec's registration (CLI process)
import { connect } from 'node:net';
import { bindable, socketPath } from './containers.js';
import type { ControlReply, ControlRequest, ExecExitReport, ExecRegistration } from './supervise.js';

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

/** ExecChannel: an exec registered with its container's supervisor; exited() reports the end and closes the connection */
export interface ExecChannel { readonly id: string; exited(code: number | null, signal?: number): Promise<void> }

/**
 * registerExec hands an exec's listener to the container's supervisor (it copies the fd; see
 * exec-audit.ts) and resolves once the supervisor answers it, with the session's id; it rejects
 * with the supervisor's reason, or when nobody listens. The connection stays open for the exit.
 * `socket`: an OCI container's control socket (oci/state.ts), which speaks the same exec op.
 */
export function registerExec(stateDir: string, reg: ExecRegistration, socket = socketPath(stateDir)): Promise<ExecChannel> {
  let path: ReturnType<typeof bindable>;
  try { path = bindable(socket); } catch (e) { return Promise.reject(new Error(`its control socket is gone (${(e as Error).message})`)); }
  return new Promise<ExecChannel>((resolve, reject) => {
    const sock = connect(path.path);
    let buf = '';
    let answered = false;
    const closed = new Promise<void>((res) => sock.on('close', () => { path.close(); res(); }));
    sock.setEncoding('utf8');
    sock.on('connect', () => sock.write(`${JSON.stringify({ op: 'exec', exec: reg } satisfies ControlRequest)}\n`));
    sock.on('error', (e) => { if (!answered) { answered = true; reject(new Error(`its supervisor does not answer (${e.message})`)); } });
    sock.on('close', () => { if (!answered) { answered = true; reject(new Error('its supervisor hung up without an answer')); } });
    sock.on('data', (d: string) => {
      if (answered) return;
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      answered = true;
      let r: ControlReply | null = null;
      try { r = JSON.parse(buf.slice(0, nl)) as ControlReply; } catch { /* below */ }
      if (!r?.ok || !r.exec) { sock.destroy(); reject(new Error(r?.error ?? 'a malformed answer')); return; }
      const id = r.exec;
      resolve({
        id,
        exited: (code, signal) => {
          const m: ExecExitReport = { op: 'exec.exited', code, ...(signal ? { signal } : {}) };
          if (!sock.destroyed) sock.end(`${JSON.stringify(m)}\n`);
          return closed;
        },
      });
    });
  });
}
