// sandbox/network/lab-join.ts — a container joins a lab network (parent, runtime process)
import { fail } from '../../common/errors.js';
import type { OciSpec } from '../oci-spec.js';
import type { NetContext } from './index.js';

export async function joinLab(_spec: OciSpec, _ctx: NetContext, _netnsFile: string, name: string): Promise<{ spec: OciSpec; hook: string[] }> {
  fail('TSS_ENETWORK', 'run', `--network ${name}`, 'lab networks are not available yet');
}
