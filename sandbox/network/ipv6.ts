// sandbox/network/ipv6.ts — a lab network's IPv6 subnet: a /64 (ULA by default), addresses that follow the IPv4 ones (parent, pure)
//
// A member's IPv6 address is the /64's prefix with the same host number as its IPv4 address
// (10.89.3.5 → PREFIX::5, the gateway PREFIX::1), so IPv4 allocation alone keeps both unique.
import { createHash } from 'node:crypto';
import { fail } from '../../common/errors.js';

/** expand writes an IPv6 address as eight 16-bit numbers, or null */
function expand(a: string): number[] | null {
  if (!/^[0-9a-fA-F:]+$/.test(a) || a.split('::').length > 2) return null;
  const [l, r] = a.includes('::') ? a.split('::') as [string, string] : [a, undefined];
  const left = l ? l.split(':') : [], right = r ? r.split(':') : [];
  const fill = 8 - left.length - right.length;
  if (r === undefined ? left.length !== 8 : fill < 1) return null;
  const g = [...left, ...Array(r === undefined ? 0 : fill).fill('0'), ...right];
  if (g.some((x) => !/^[0-9a-fA-F]{1,4}$/.test(x))) return null;
  return g.map((x) => parseInt(x, 16));
}

/** parseSubnet6 reads --subnet6: an IPv6 /64; returns its prefix as four groups ("fd12:3456:789a:1") */
export function parseSubnet6(cidr: string): string {
  const m = /^([0-9a-fA-F:]+)\/(\d{1,3})$/.exec(cidr);
  const g = m ? expand(m[1]!) : null;
  if (!m || !g) fail('TSS_EUSAGE', 'parse', `--subnet6 ${cidr}`, 'expected an IPv6 CIDR like fd00:89:1::/64');
  if (m[2] !== '64') fail('TSS_EUSAGE', 'parse', `--subnet6 ${cidr}`, 'the prefix must be /64');
  return g.slice(0, 4).map((x) => x.toString(16)).join(':');
}

/** ulaPrefix: RFC 4193's fd00::/8 with a 40-bit id from the network's id, subnet 0 */
export function ulaPrefix(networkId: string): string {
  const h = createHash('sha256').update(networkId).digest('hex');
  return `fd${h.slice(0, 2)}:${h.slice(2, 6)}:${h.slice(6, 10)}:0`.replace(/:0{1,3}([0-9a-f])/g, ':$1');
}

/** canonical: RFC 5952's text form (lowercase, the longest run of two or more zero groups as ::) */
function canonical(g: readonly number[]): string {
  let best = -1, len = 0;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > len && j - i >= 2) { best = i; len = j - i; }
    i = j === i ? i + 1 : j;
  }
  const hex = g.map((x) => x.toString(16));
  return best < 0 ? hex.join(':') : `${hex.slice(0, best).join(':')}::${hex.slice(best + len).join(':')}`;
}

const groups = (prefix: string, n: number) => [...prefix.split(':').map((x) => parseInt(x, 16)), 0, 0, 0, n];
export const subnet6 = (prefix: string) => `${canonical(groups(prefix, 0))}/64`;
/** addr6: the address with host number N (< 65536) in the /64 */
export const addr6 = (prefix: string, n: number) => canonical(groups(prefix, n));
