// image/scan/config-scan.ts — the image config and history: user, ports, tag/digest, secrets in Env/Labels/created_by (CLI process, pure)
import { scanText } from './secrets.js';
import { NIST_SECTION, type Finding } from './types.js';

export interface ConfigInput {
  readonly ref: string;
  readonly id: string;
  readonly manifestDigest?: string;
  readonly config: Record<string, unknown>;
  readonly history: ReadonlyArray<{ created_by?: string }>;
  readonly trustedDigests?: readonly string[];
}

const REMOTE_PORTS: Record<string, string> = { 22: 'SSH', 23: 'telnet', 2375: 'Docker API (plain)', 2376: 'Docker API (TLS)', 3389: 'RDP', 5900: 'VNC' };
const SECRET_NAME = /(?:PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIALS?)(?:_|$)/i;

function finding(f: Omit<Finding, 'nist'>): Finding {
  return { ...f, nist: NIST_SECTION[f.category] };
}

/** scanConfig checks the run configuration, then looks for secrets in Env, Labels and history. */
export function scanConfig(input: ConfigInput): Finding[] {
  const out: Finding[] = [];
  const c = input.config;
  const user = typeof c.User === 'string' ? c.User.trim() : '';
  if (user === '' || /^(?:root|0)(?::.*)?$/.test(user)) {
    out.push(finding({ category: 'configuration', rule: 'config.root-user', severity: 'medium', path: 'config:User', message: user ? `runs as root (USER ${user})` : 'runs as root (no USER set)' }));
  }
  const ports = c.ExposedPorts && typeof c.ExposedPorts === 'object' ? Object.keys(c.ExposedPorts) : [];
  for (const p of ports) {
    const what = REMOTE_PORTS[p.split('/')[0]!];
    if (what) out.push(finding({ category: 'configuration', rule: 'config.remote-access-port', severity: 'high', path: 'config:ExposedPorts', message: `exposes ${p} (${what})` }));
  }
  const env = Array.isArray(c.Env) ? c.Env.filter((e): e is string => typeof e === 'string') : [];
  for (const e of env) {
    const name = e.split('=')[0]!;
    if (SECRET_NAME.test(name) && e.length > name.length + 1) {
      out.push(finding({ category: 'configuration', rule: 'config.secret-env-name', severity: 'low', path: 'config:Env', message: `ENV ${name} looks like a secret; pass secrets at run time, not in the image` }));
    }
  }
  // Env as KEY=VALUE lines; labels likewise: both are .env-shaped text to the rules
  const texts: Array<[string, string]> = [['config:Env', env.join('\n')]];
  const labels = c.Labels && typeof c.Labels === 'object' ? Object.entries(c.Labels as Record<string, unknown>) : [];
  texts.push(['config:Labels', labels.map(([k, v]) => `${k}=${String(v)}`).join('\n')]);
  for (const [i, h] of input.history.entries()) if (h.created_by) texts.push([`history[${i}]`, h.created_by]);
  for (const [path, text] of texts) {
    for (const h of scanText(text)) {
      out.push(finding({ category: 'secrets', rule: `secret.${h.rule}`, severity: h.severity, path, line: h.line, value: h.value, message: h.description }));
    }
  }
  // trust: a tag can be moved to other content; a digest cannot
  let tag: string | undefined;
  const byDigest = input.ref.includes('@sha256:') || input.ref.startsWith('sha256:') || /^[a-f0-9]{12,64}$/.test(input.ref);
  if (!byDigest) tag = input.ref.slice(input.ref.lastIndexOf('/') + 1).split(':')[1] ?? 'latest';
  if (tag === 'latest') out.push(finding({ category: 'configuration', rule: 'config.latest-tag', severity: 'low', path: 'ref', message: `referenced by the mutable tag "latest" (${input.ref})` }));
  const trusted = input.trustedDigests;
  if (trusted) {
    const ok = trusted.includes(input.id) || (input.manifestDigest !== undefined && trusted.includes(input.manifestDigest));
    if (!ok) out.push(finding({ category: 'trust', rule: 'trust.untrusted-digest', severity: 'high', path: 'ref', message: `neither image id ${input.id.slice(0, 19)}… nor its manifest digest is in the trusted list` }));
  }
  // with a trusted list, the list decides; without one, an unpinned tag is worth a note
  else if (!byDigest) out.push(finding({ category: 'trust', rule: 'trust.tag-not-digest', severity: 'info', path: 'ref', message: `referenced by tag, not digest; pin ${input.manifestDigest ?? input.id}` }));
  return out;
}
