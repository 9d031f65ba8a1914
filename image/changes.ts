// image/changes.ts — docker's `import --change` instructions applied to an image config (everywhere, pure)
//
// `tssandbox import --change 'CMD ["/hello"]' rootfs.tar demo` gives an imported root filesystem the
// config a Dockerfile would have: CMD, ENTRYPOINT, ENV, WORKDIR, USER, LABEL, EXPOSE, STOPSIGNAL.
import { fail } from '../common/errors.js';

export interface MutableConfig {
  Env?: string[];
  Cmd?: string[];
  Entrypoint?: string[];
  WorkingDir?: string;
  User?: string;
  Labels?: Record<string, string>;
  ExposedPorts?: Record<string, object>;
  StopSignal?: string;
}

/** exec or shell form, as a Dockerfile reads it: ["a","b"] or `a b` (→ /bin/sh -c "a b"). */
function commandForm(what: string, rest: string): string[] {
  const t = rest.trim();
  if (t.startsWith('[')) {
    let v: unknown;
    try { v = JSON.parse(t); } catch { fail('TSS_EUSAGE', 'parse', `--change ${what} ${t}`, 'not a JSON array of strings'); }
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) fail('TSS_EUSAGE', 'parse', `--change ${what} ${t}`, 'not a JSON array of strings');
    return v as string[];
  }
  return ['/bin/sh', '-c', t];
}

function pairs(what: string, rest: string): [string, string][] {
  const t = rest.trim();
  if (!t.includes('=')) { // legacy `ENV KEY value`
    const sp = t.search(/\s/);
    if (sp < 0) fail('TSS_EUSAGE', 'parse', `--change ${what} ${t}`, 'expected KEY=VALUE');
    return [[t.slice(0, sp), t.slice(sp).trim()]];
  }
  const out: [string, string][] = [];
  for (const m of t.matchAll(/([^\s=]+)=("(?:[^"\\]|\\.)*"|\S*)/g)) {
    const v = m[2]!.startsWith('"') ? JSON.parse(m[2]!) as string : m[2]!;
    out.push([m[1]!, v]);
  }
  return out;
}

export function applyChanges(config: MutableConfig, changes: readonly string[]): MutableConfig {
  const c: MutableConfig = { ...config };
  for (const change of changes) {
    const m = /^\s*([A-Za-z]+)\s+([\s\S]+)$/.exec(change);
    if (!m) fail('TSS_EUSAGE', 'parse', `--change ${change}`, 'expected INSTRUCTION ARGUMENTS');
    const op = m[1]!.toUpperCase(), rest = m[2]!;
    switch (op) {
      case 'CMD': c.Cmd = commandForm(op, rest); break;
      case 'ENTRYPOINT': c.Entrypoint = commandForm(op, rest); break;
      case 'WORKDIR': c.WorkingDir = rest.trim(); break;
      case 'USER': c.User = rest.trim(); break;
      case 'STOPSIGNAL': c.StopSignal = rest.trim(); break;
      case 'ENV': {
        const env = new Map((c.Env ?? []).map((e) => [e.slice(0, e.indexOf('=')), e] as const));
        for (const [k, v] of pairs(op, rest)) env.set(k, `${k}=${v}`);
        c.Env = [...env.values()];
        break;
      }
      case 'LABEL': c.Labels = { ...(c.Labels ?? {}), ...Object.fromEntries(pairs(op, rest)) }; break;
      case 'EXPOSE': {
        const ports = { ...(c.ExposedPorts ?? {}) };
        for (const p of rest.trim().split(/\s+/)) {
          if (!/^\d+(\/(tcp|udp))?$/.test(p)) fail('TSS_EUSAGE', 'parse', `--change EXPOSE ${p}`, 'expected PORT[/tcp|udp]');
          ports[p.includes('/') ? p : `${p}/tcp`] = {};
        }
        c.ExposedPorts = ports;
        break;
      }
      default: fail('TSS_EUSAGE', 'parse', `--change ${change}`, `${op} cannot be applied to an imported image`);
    }
  }
  return c;
}
