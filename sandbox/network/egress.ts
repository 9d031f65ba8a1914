// sandbox/network/egress.ts — a lab member's egress rules: one nftables bridge table per container in the network's namespace (parent, root)
//
// The profile's `egress` (policy/egress.ts) travels in the spec (annotation io.tssandbox.egress).
// Traffic a member sends beyond the network is routed by the network's namespace, so it reaches
// that namespace's own stack through the bridge: the bridge family's `input` hook sees it with the
// member's bridge port (tvID) as iifname. Matching on the port, not on the source address, is what
// makes the rule hold against a lab container that uses NET_ADMIN to take another member's address
// or MAC. Traffic between members is bridged (the `forward` hook) and never passes here; replies to
// allowed traffic come back through the bridge's `output` hook and are not matched either.
import { execFileSync } from 'node:child_process';
import { SandboxError } from '../../common/errors.js';
import type { Egress } from '../../policy/egress.js';
import { subnet6 } from './ipv6.js';

// no import of lab.ts: run reads ANN_EGRESS from here, and a run without a lab network loads nothing more
const PATH_ENV = { ...process.env, PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };

export const ANN_EGRESS = 'io.tssandbox.egress';

const table = (veth: string) => `tse_${veth}`;

/** egressOf reads the annotation (absent: none) */
export function egressOf(annotations: Readonly<Record<string, string>>): Egress {
  const raw = annotations[ANN_EGRESS];
  return raw ? (JSON.parse(raw) as Egress) : [];
}

/** the mark a refused packet carries from the bridge hook to the routing hooks (a mark does not cross a veth into another namespace: the container cannot set it) */
const REFUSED = '0x7e55e000';

/** egressRules renders the member's tables, or null when everything may leave (egress: all) */
export function egressRules(veth: string, subnet: string, egress: Egress, subnet6?: string): string | null {
  if (egress === 'all') return null;
  const allow = egress.flatMap((d) => {
    const l4 = d.port === undefined ? (d.proto ? [`meta l4proto ${d.proto}`] : ['']) : (d.proto ? [d.proto] : ['tcp', 'udp']).map((p) => `${p} dport ${d.port}`);
    return l4.map((x) => `  ip daddr ${d.cidr} ${x} return`.trimEnd());
  });
  const reject = `meta mark ${REFUSED} counter reject with icmpx type admin-prohibited`;
  return [
    // the bridge hook knows the port and marks what the profile does not allow…
    `table bridge ${table(veth)} {`,
    ` chain port { type filter hook input priority filter; policy accept; iifname "${veth}" jump egress; }`,
    ' chain egress {',
    // address resolution and the network itself (the gateway included) stay reachable
    '  ether type arp return',
    `  ip daddr ${subnet} return`,
    ...allow,
    `  ip6 daddr { fe80::/10, ff00::/8${subnet6 ? `, ${subnet6}` : ''} } return`,
    `  meta mark set ${REFUSED}`,
    ' }',
    '}',
    // …and the routing hooks refuse it at once (an ICMP answer, not a timeout): this kernel's bridge
    // family has no reject of its own
    `table inet ${table(veth)} {`,
    ` chain routed { type filter hook forward priority filter; policy accept; ${reject}; }`,
    ` chain local { type filter hook input priority filter; policy accept; ${reject}; }`,
    '}', '',
  ].join('\n');
}

/** applyEgress loads the member's table into the network's namespace (before its eth0 exists: nothing leaves unruled) */
export function applyEgress(nsPath: string, network: string, veth: string, n: { subnet: string; prefix6?: string }, egress: Egress): void {
  const rules = egressRules(veth, n.subnet, egress, n.prefix6 ? subnet6(n.prefix6) : undefined);
  if (!rules) return;
  try { execFileSync('nsenter', [`--net=${nsPath}`, 'nft', '-f', '-'], { input: rules, env: PATH_ENV, stdio: ['pipe', 'ignore', 'pipe'] }); } catch (e) {
    const why = String((e as { stderr?: Buffer }).stderr ?? (e as Error).message).trim().split('\n').pop();
    throw new SandboxError('TSS_ENETWORK', `join network \`${network}\`: nft (egress rules of ${veth}): ${why}`);
  }
}

/** removeEgress drops the member's tables; idempotent (a member with egress: all has none) */
export function removeEgress(nsPath: string, veth: string): void {
  for (const family of ['bridge', 'inet']) {
    try { execFileSync('nsenter', [`--net=${nsPath}`, 'nft', 'delete', 'table', family, table(veth)], { stdio: 'ignore', env: PATH_ENV }); } catch { /* not there, or went with the namespace */ }
  }
}
