// policy/seccomp/compile.ts — compile a SeccompPolicy to sock_filter bytes, cached by policy digest (everywhere, pure but for the optional cache dir)
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostArch as detectHost, type HostArch } from '../../abi/index.js';
import { fail } from '../../common/errors.js';
import { MAX_INSNS, encode, type SockFilter } from './bpf.js';
import { assemble } from './builder.js';
import { generate } from './codegen.js';
import { fixpoint } from './optimize.js';
import type { SeccompPolicy } from './types.js';

/** Bump when the generated code changes, so cached filters from older compilers are not reused. */
export const COMPILER_VERSION = 1;

export interface Compiled {
  readonly bytes: Buffer;
  /** sha256 of (compiler version, host arch, canonical policy) */
  readonly digest: string;
  readonly instructions: number;
  readonly insns: readonly SockFilter[];
  /** per instruction, the profile rule (file:line) it implements, when it implements one */
  readonly sources: readonly (string | undefined)[];
  readonly arch: HostArch;
}

/** canonicalJson: keys sorted, so equal policies hash equally whatever order they were built in. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v).sort().filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

export function policyDigest(policy: SeccompPolicy, arch: HostArch): string {
  return createHash('sha256').update(`tssandbox-seccomp-v${COMPILER_VERSION}\n${arch}\n${canonicalJson(policy)}`).digest('hex');
}

/** compileUncached always runs the compiler (benchmarks measure this). */
export function compileUncached(policy: SeccompPolicy, arch: HostArch = detectHost()): Compiled {
  const b = generate(policy, arch);
  const { insns, sources } = assemble(fixpoint(b.items));
  if (insns.length > MAX_INSNS) {
    fail('TSS_EPOLICY', 'compile seccomp policy', policy.name, `${insns.length} instructions exceed the kernel's limit of ${MAX_INSNS}`);
  }
  return { bytes: encode(insns), digest: policyDigest(policy, arch), instructions: insns.length, insns, sources, arch };
}

const memory = new Map<string, Compiled>();

/**
 * compile returns the filter for a policy, from memory or from `cacheDir/<digest>.json` when it
 * was compiled before; a fresh result is written there atomically (temp + rename).
 */
export function compile(policy: SeccompPolicy, arch: HostArch = detectHost(), cacheDir?: string): Compiled {
  const digest = policyDigest(policy, arch);
  const hit = memory.get(digest);
  if (hit) return hit;
  if (cacheDir) {
    try {
      const j = JSON.parse(readFileSync(join(cacheDir, `${digest}.json`), 'utf8')) as { bytes: string; insns: SockFilter[]; sources: (string | null)[] };
      const c: Compiled = { bytes: Buffer.from(j.bytes, 'base64'), digest, instructions: j.insns.length, insns: j.insns, sources: j.sources.map((s) => s ?? undefined), arch };
      memory.set(digest, c);
      return c;
    } catch { /* not cached, or unreadable: compile again */ }
  }
  const c = compileUncached(policy, arch);
  memory.set(digest, c);
  if (cacheDir) {
    try {
      mkdirSync(cacheDir, { recursive: true });
      const tmp = join(cacheDir, `.${digest}.${process.pid}.tmp`);
      writeFileSync(tmp, JSON.stringify({ bytes: c.bytes.toString('base64'), insns: c.insns, sources: c.sources.map((s) => s ?? null) }));
      renameSync(tmp, join(cacheDir, `${digest}.json`));
    } catch { /* a cache we cannot write is only slower */ }
  }
  return c;
}
