// oci/agent.ts — linux.seccomp.listenerPath: the container's seccomp listener handed to an external agent, as the runtime-spec says (OCI supervisor)
//
// A filter chain has ONE listener (the kernel refuses a second NEW_LISTENER with EBUSY). When the
// bundle asks for SCMP_ACT_NOTIFY with a listenerPath and no profile of ours supervises the
// container, the bundle's filter is installed last, with the listener, and the OCI supervisor
// connects to listenerPath and sends the containerProcessState JSON with that fd (SCM_RIGHTS) in
// one message, then closes its own copy: the agent alone decides the notified calls, and if it
// dies (or never answers) the kernel fails them with ENOSYS — no process of ours holds the
// listener open. With a supervised profile our supervisor owns the listener and create refuses the
// bundle's (oci/create.ts): relaying notifications to an agent would hand it a listener it cannot
// have, or answers we would have to trust.
import { createRequire } from 'node:module';
import { fail } from '../common/errors.js';
import { NATIVE_ADDON_PATH } from '../sandbox/paths.js';
import { errnoName } from '../abi/index.js';

export interface SeccompAgent {
  readonly path: string;
  readonly metadata?: string;
}

export interface AgentState {
  readonly ociVersion: string;
  readonly id: string;
  readonly status: string;
  readonly pid: number;
  readonly bundle: string;
  readonly annotations: Readonly<Record<string, string>>;
}

/** containerProcessState of the runtime-spec (config-linux.md, listenerPath): fds names what SCM_RIGHTS carries */
export function containerProcessState(agent: SeccompAgent, state: AgentState): string {
  return JSON.stringify({
    ociVersion: state.ociVersion, fds: ['seccompFd'], pid: state.pid,
    ...(agent.metadata !== undefined ? { metadata: agent.metadata } : {}),
    state: { ociVersion: state.ociVersion, id: state.id, status: state.status, pid: state.pid, bundle: state.bundle, annotations: state.annotations },
  });
}

interface Native { sendFdTo(path: string, payload: Buffer, fd: number): number; errno(): number }

/** sendToAgent: one connection, one message (state + listener), closed — as the spec asks; throws one line naming listenerPath */
export function sendToAgent(agent: SeccompAgent, state: AgentState, listener: number): void {
  let lib: Native;
  try { lib = createRequire(import.meta.url)(NATIVE_ADDON_PATH) as Native; } catch (e) {
    fail('TSS_ENATIVE', 'native addon', NATIVE_ADDON_PATH, `cannot be loaded (run npm run build): ${(e as Error).message.split('\n')[0]}`);
  }
  if (lib.sendFdTo(agent.path, Buffer.from(containerProcessState(agent, state)), listener) < 0) {
    fail('TSS_ELAUNCH', 'hand the seccomp listener to', agent.path, errnoName(lib.errno()));
  }
}
