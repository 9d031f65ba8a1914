// sandbox/cgroups/handle.ts — one container's cgroup across v1 hierarchies and/or a cgroup2 dir (parent)
//
// A handle is a list of nodes: one directory per v1 hierarchy we use plus, where a cgroup2 mount
// exists, one cgroup2 directory. Each controller is served by exactly one node (the kernel binds a
// controller to one hierarchy), so the same code is the v1 backend, the v2 backend and the hybrid
// one. On a hybrid host the cgroup2 node carries no controllers but still gives us cgroup.kill,
// cgroup.freeze and cpu.stat, which are core files of every non-root cgroup2 directory.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SandboxError, fail } from '../../common/errors.js';
import { cgRead, cgReadOpt, cgWrite, numberOrMax, parseKeyed, readPids, rmCgroupTree, sleepMs } from './fsio.js';
import { planWrites, validateLimits, V1_UNLIMITED_FLOOR, type CgroupVersion, type PlannedWrite } from './limits.js';
import type { CgroupHandle, CgroupLimits, CgroupStats } from './types.js';

export interface CgNode {
  readonly version: CgroupVersion;
  /** controllers this directory enforces (v1: its hierarchy's; v2: those enabled for it) */
  readonly controllers: readonly string[];
  readonly dir: string;
}

/** docker's flag for each limit, so warnings speak the user's language */
const FLAG: Record<PlannedWrite['limit'], string> = {
  memory: '--memory', memorySwap: '--memory-swap', cpus: '--cpus', cpuShares: '--cpu-shares', pids: '--pids-limit',
  cpusetCpus: '--cpuset-cpus', ioWeight: 'io weight', oomGroup: 'memory.oom.group',
};

export interface ApplyResult {
  readonly warnings: string[];
  /** limits that were asked for and are not enforced */
  readonly missing: (keyof CgroupLimits)[];
}

export class Cgroup implements CgroupHandle {
  readonly warnings: string[];
  readonly missing: (keyof CgroupLimits)[] = [];

  /**
   * @param whyMissing says why a controller has no node (rootless v1, not mounted …); the
   * default reason is that the host does not offer it.
   */
  constructor(
    readonly id: string,
    readonly nodes: readonly CgNode[],
    warnings: readonly string[] = [],
    private readonly whyMissing: (controller: string) => string = (c) => `no usable ${c} cgroup controller on this host`,
  ) {
    this.warnings = [...warnings];
  }

  /** every cgroup.procs the payload's pid must be written into, v1 hierarchies first */
  get procsFiles(): readonly string[] {
    return this.nodes.map((n) => join(n.dir, 'cgroup.procs'));
  }

  /** the directories of this cgroup, one per node */
  get dirs(): readonly string[] {
    return this.nodes.map((n) => n.dir);
  }

  /** nodeFor finds the node enforcing `controller` (a v1 hierarchy wins; the kernel allows only one) */
  nodeFor(controller: string): CgNode | undefined {
    return this.nodes.find((n) => n.version === 'v1' && n.controllers.includes(controller))
      ?? this.nodes.find((n) => n.version === 'v2' && n.controllers.includes(controller));
  }

  private get v2(): CgNode | undefined {
    return this.nodes.find((n) => n.version === 'v2');
  }

  /**
   * apply writes `limits` (create calls it; `update` may call it again). A limit whose controller
   * or file is absent becomes a warning and an entry in `missing` — never a silent pass.
   */
  apply(limits: CgroupLimits): ApplyResult {
    validateLimits(limits);
    const versionOf = (c: string): CgroupVersion | null => this.nodeFor(c)?.version ?? null;
    let plan = planWrites(limits, versionOf);
    plan = this.orderV1Memory(plan);
    const res: ApplyResult = { warnings: [], missing: [] };
    const miss = (w: PlannedWrite, why: string) => {
      if (w.implicit) return;
      if (w.limit !== 'oomGroup' && !res.missing.includes(w.limit)) {
        res.missing.push(w.limit);
        res.warnings.push(`${FLAG[w.limit]} is not enforced: ${why}`);
      }
    };
    for (const w of plan) {
      const node = this.nodeFor(w.controller);
      if (!node) {
        miss(w, this.whyMissing(w.controller));
        continue;
      }
      const choice = [{ file: w.file, value: w.value }, ...(w.alts ?? [])].find((c) => existsSync(join(node.dir, c.file)));
      if (!choice) {
        miss(w, `${join(node.dir, w.file)} does not exist on this kernel`);
        continue;
      }
      cgWrite(join(node.dir, choice.file), choice.value);
    }
    for (const m of res.missing) if (!this.missing.includes(m)) this.missing.push(m);
    for (const w of res.warnings) if (!this.warnings.includes(w)) this.warnings.push(w);
    return res;
  }

  /**
   * v1 refuses memory.limit_in_bytes above memory.memsw.limit_in_bytes (EINVAL), so when raising
   * the memory limit past the current memsw limit, memsw goes first.
   */
  private orderV1Memory(plan: PlannedWrite[]): PlannedWrite[] {
    const node = this.nodeFor('memory');
    const mem = plan.find((w) => w.file === 'memory.limit_in_bytes');
    const sw = plan.find((w) => w.file === 'memory.memsw.limit_in_bytes');
    if (!node || node.version !== 'v1' || !mem || !sw) return plan;
    const cur = numberOrMax(cgReadOpt(join(node.dir, sw.file)), V1_UNLIMITED_FLOOR);
    if (cur === null || Number(mem.value) <= cur) return plan;
    return [sw, ...plan.filter((w) => w !== sw)];
  }

  /** addProcess moves `pid` into every node (the launcher does this itself for the payload) */
  addProcess(pid: number): void {
    for (const f of this.procsFiles) cgWrite(f, String(pid));
  }

  /** pids lists the processes in the cgroup (union over the nodes) */
  pids(): number[] {
    const all = new Set<number>();
    for (const f of this.procsFiles) for (const p of readPids(f)) all.add(p);
    return [...all];
  }

  stats(): CgroupStats & { readonly pidsMaxEvents: number; readonly oomKills: number } {
    const mem = this.nodeFor('memory');
    let memoryBytes = 0;
    let memoryLimit: number | null = null;
    if (mem?.version === 'v1') {
      memoryBytes = Number(cgRead(join(mem.dir, 'memory.usage_in_bytes')).trim());
      memoryLimit = numberOrMax(cgReadOpt(join(mem.dir, 'memory.limit_in_bytes')), V1_UNLIMITED_FLOOR);
    } else if (mem) {
      memoryBytes = Number(cgRead(join(mem.dir, 'memory.current')).trim());
      memoryLimit = numberOrMax(cgReadOpt(join(mem.dir, 'memory.max')));
    }
    let cpuUsageNs = 0;
    const acct = this.nodeFor('cpuacct');
    const v2 = this.v2;
    if (acct) cpuUsageNs = Number(cgRead(join(acct.dir, 'cpuacct.usage')).trim());
    else if (v2) cpuUsageNs = (parseKeyed(cgReadOpt(join(v2.dir, 'cpu.stat')) ?? '').get('usage_usec') ?? 0) * 1000;
    const pn = this.nodeFor('pids');
    let pids: number;
    let pidsLimit: number | null = null;
    let pidsMaxEvents = 0;
    if (pn) {
      pids = Number(cgRead(join(pn.dir, 'pids.current')).trim());
      pidsLimit = numberOrMax(cgReadOpt(join(pn.dir, 'pids.max')));
      pidsMaxEvents = parseKeyed(cgReadOpt(join(pn.dir, 'pids.events')) ?? '').get('max') ?? 0;
    } else {
      pids = this.pids().length;
    }
    return { memoryBytes, memoryLimit, cpuUsageNs, pids, pidsLimit, pidsMaxEvents, oomKills: this.oomKills() };
  }

  /** oomKills counts OOM kills recorded in this cgroup (v1 memory.oom_control, v2 memory.events) */
  oomKills(): number {
    const mem = this.nodeFor('memory');
    if (!mem) return 0;
    const file = join(mem.dir, mem.version === 'v1' ? 'memory.oom_control' : 'memory.events');
    return parseKeyed(cgReadOpt(file) ?? '').get('oom_kill') ?? 0;
  }

  oomKilled(): boolean {
    return this.oomKills() > 0;
  }

  /** freezer picks cgroup2's core cgroup.freeze where it exists, else the v1 freezer hierarchy */
  private freezer(): { file: string; on: string; off: string; done: (frozen: boolean) => boolean } | null {
    const v2 = this.v2;
    if (v2 && existsSync(join(v2.dir, 'cgroup.freeze'))) {
      const events = join(v2.dir, 'cgroup.events');
      return {
        file: join(v2.dir, 'cgroup.freeze'), on: '1', off: '0',
        done: (f) => (parseKeyed(cgReadOpt(events) ?? '').get('frozen') ?? 0) === (f ? 1 : 0),
      };
    }
    const v1 = this.nodeFor('freezer');
    if (v1?.version === 'v1') {
      const state = join(v1.dir, 'freezer.state');
      return { file: state, on: 'FROZEN', off: 'THAWED', done: (f) => cgRead(state).trim() === (f ? 'FROZEN' : 'THAWED') };
    }
    return null;
  }

  private setFrozen(frozen: boolean): void {
    const fz = this.freezer();
    if (!fz) fail('TSS_ECGROUP', frozen ? 'freeze' : 'thaw', this.nodes[0]?.dir ?? this.id, 'no freezer (neither cgroup.freeze nor a v1 freezer hierarchy)');
    cgWrite(fz.file, frozen ? fz.on : fz.off);
    // freezing is asynchronous: wait for the kernel to report the state, a couple of seconds at most
    for (let i = 0; i < 200; i++) {
      if (fz.done(frozen)) return;
      if (frozen && fz.on === 'FROZEN') cgWrite(fz.file, fz.on); // v1 may stall in FREEZING; re-asking retries
      sleepMs(10);
    }
    fail('TSS_ECGROUP', frozen ? 'freeze' : 'thaw', fz.file, 'the kernel did not report the new state within 2 s');
  }

  freeze(): void {
    this.setFrozen(true);
  }

  thaw(): void {
    this.setFrozen(false);
  }

  /**
   * killAll SIGKILLs every process and returns once the cgroup is empty. cgroup.kill (v2, 5.14+,
   * also on a hybrid host's controller-less cgroup2 node) is atomic against forks; otherwise the
   * v1 sweep freezes first so a fork bomb cannot outrun it, kills what cgroup.procs lists, thaws
   * (frozen tasks die only once thawed) and repeats until nothing is left.
   */
  killAll(): void {
    const v2 = this.v2;
    if (v2 && existsSync(join(v2.dir, 'cgroup.kill'))) {
      cgWrite(join(v2.dir, 'cgroup.kill'), '1');
      if (this.waitEmpty(200)) return;
    }
    const canFreeze = this.freezer() !== null;
    for (let round = 0; round < 100; round++) {
      let pids = this.pids();
      if (pids.length === 0) return;
      if (canFreeze) this.freeze();
      pids = this.pids();
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ESRCH') fail('TSS_ECGROUP', 'kill', `pid ${pid} in ${this.procsFiles[0]}`, String((err as Error).message), err);
        }
      }
      if (canFreeze) this.thaw();
      if (this.waitEmpty(20)) return;
    }
    fail('TSS_ECGROUP', 'kill', this.procsFiles[0] ?? this.id, `${this.pids().length} processes survive repeated SIGKILL`);
  }

  /** waitEmpty polls until no node lists a process; dead tasks leave cgroup.procs once they exit */
  private waitEmpty(rounds: number): boolean {
    for (let i = 0; i < rounds; i++) {
      if (this.pids().length === 0) return true;
      sleepMs(10);
    }
    return this.pids().length === 0;
  }

  /** remove deletes every node's directory (children first), tolerating ones already gone */
  remove(): void {
    let first: unknown = null;
    for (const n of this.nodes) {
      try {
        rmCgroupTree(n.dir);
      } catch (err) {
        first ??= err;
      }
    }
    if (first) throw first instanceof SandboxError ? first : new SandboxError('TSS_ECGROUP', `remove \`${this.id}\`: ${String(first)}`);
  }
}
