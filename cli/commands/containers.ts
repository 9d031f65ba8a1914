// cli/commands/containers.ts — ps, logs, inspect, stop, kill, rm, wait, exec, system prune (CLI process)
import type { Command } from 'commander';
import { fail } from '../../common/errors.js';

const out = (s: string) => process.stdout.write(s);

function formatOpt(v: string): 'table' | 'json' {
  if (v !== 'table' && v !== 'json') fail('TSS_EUSAGE', 'use --format', v, 'expected table or json');
  return v;
}

function intOpt(v: string, flag: string): number {
  if (!/^-?\d+$/.test(v)) fail('TSS_EUSAGE', 'use', `${flag} ${v}`, 'expected a whole number');
  return Number(v);
}

export function register(program: Command): void {
  const root = () => (program.opts() as { root?: string }).root;
  const lc = async () => {
    const m = await import('../../sandbox/lifecycle.js');
    return { m, ctx: m.context(root()) };
  };

  program.command('ps').description('list containers (running; -a: all)')
    .option('-a, --all', 'show every container, not only running ones', false)
    .option('-q, --quiet', 'only ids', false)
    .option('--no-trunc', 'full ids')
    .option('--format <fmt>', 'table or json', 'table')
    .action(async (o: { all: boolean; quiet: boolean; trunc: boolean; format: string }) => {
      const fmt = formatOpt(o.format);
      const { m, ctx } = await lc();
      const { table } = await import('../../image/format.js');
      const rows = m.psRows(ctx, o.all);
      if (o.quiet) { out(rows.map((r) => `${r.ID}\n`).join('')); return; }
      if (fmt === 'json') { out(rows.map((r) => `${JSON.stringify(r)}\n`).join('')); return; }
      out(table(['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'NAMES'], rows.map((r) => [r.ID, r.Image, o.trunc && r.Command.length > 22 ? `${r.Command.slice(0, 20)}…"` : r.Command, r.RunningFor, r.Status, r.Names])));
    });

  program.command('inspect').description('show a container\'s (or an image\'s) full record as JSON')
    .argument('<ref...>', 'container name, id or id prefix; or an image')
    .action(async (refs: string[]) => {
      const { m, ctx } = await lc();
      const res: unknown[] = [];
      for (const ref of refs) {
        try { res.push(m.inspectContainer(ctx, m.find(ctx, ref, 'inspect'))); } catch (e) {
          if ((e as { code?: string }).code !== 'TSS_ECONTAINER' || !/no such container/.test((e as Error).message)) throw e;
          const [{ openStore }, { inspectImage }] = await Promise.all([import('../../image/store.js'), import('../../image/inspect.js')]);
          try { res.push(inspectImage(openStore(ctx.root), ref)); } catch { fail('TSS_ECONTAINER', 'inspect', ref, 'no such container or image'); }
        }
      }
      out(`${JSON.stringify(res, null, 2)}\n`);
    });

  program.command('logs').description('print a detached container\'s output')
    .argument('<container>')
    .option('-f, --follow', 'keep printing until the container exits', false)
    .option('-n, --tail <n>', 'only the last N lines', 'all')
    .option('-t, --timestamps', 'prefix each line with its time', false)
    .action(async (ref: string, o: { follow: boolean; tail: string; timestamps: boolean }) => {
      const { m, ctx } = await lc();
      const tail = o.tail === 'all' ? -1 : intOpt(o.tail, '--tail');
      await m.logs(ctx, ref, { follow: o.follow, tail, timestamps: o.timestamps }, (s, t) => (s === 'stderr' ? process.stderr : process.stdout).write(t));
    });

  program.command('stop').description('stop containers: the stop signal, then SIGKILL after -t seconds')
    .argument('<container...>')
    .option('-t, --time <seconds>', 'seconds to wait before SIGKILL', '10')
    .option('-s, --signal <sig>', 'signal to send first (default: the image\'s StopSignal or SIGTERM)')
    .action(async (refs: string[], o: { time: string; signal?: string }) => {
      const { m, ctx } = await lc();
      const t = intOpt(o.time, '-t');
      await Promise.all(refs.map(async (r) => { await m.stop(ctx, r, t, o.signal); out(`${r}\n`); }));
    });

  program.command('kill').description('send a signal to containers (default SIGKILL)')
    .argument('<container...>')
    .option('-s, --signal <sig>', 'signal', 'KILL')
    .action(async (refs: string[], o: { signal: string }) => {
      const { m, ctx } = await lc();
      for (const r of refs) { await m.kill(ctx, r, o.signal); out(`${r}\n`); }
    });

  program.command('rm').description('remove containers (a running one only with -f)')
    .argument('<container...>')
    .option('-f, --force', 'kill a running container first', false)
    .action(async (refs: string[], o: { force: boolean }) => {
      const { m, ctx } = await lc();
      await Promise.all(refs.map(async (r) => { await m.remove(ctx, r, o.force); out(`${r}\n`); }));
    });

  program.command('wait').description('wait for containers to exit and print their exit codes')
    .argument('<container...>')
    .action(async (refs: string[]) => {
      const { m, ctx } = await lc();
      for (const r of refs) out(`${(await m.wait(ctx, r)).state.exitCode ?? ''}\n`);
    });

  program.command('exec').description('run a command in a running container, under the container\'s restrictions')
    .argument('<container>')
    .argument('<command...>')
    .option('-i, --interactive', 'copy stdin to the command', false)
    .option('-t, --tty', 'a terminal (a pty in the container\'s devpts)', false)
    .option('-e, --env <K=V>', 'set an environment variable (repeatable)', (v: string, p: string[]) => [...p, v], [] as string[])
    .option('-w, --workdir <dir>', 'working directory inside the container')
    .option('-u, --user <user[:group]>', 'user and group, names from the container\'s /etc/passwd and /etc/group, or numbers')
    .passThroughOptions()
    .action(async (ref: string, cmd: string[], o: { interactive: boolean; tty: boolean; env: string[]; workdir?: string; user?: string }) => {
      const { m, ctx } = await lc();
      const { execIn } = await import('../../sandbox/exec.js');
      const { SandboxError } = await import('../../common/errors.js');
      try {
        process.exitCode = await execIn(ctx, ref, cmd, { interactive: o.interactive, tty: o.tty, env: o.env, ...(o.workdir ? { workdir: o.workdir } : {}), ...(o.user ? { user: o.user } : {}) });
      } catch (e) {
        // docker's exec contract: 125 for our failures, 126/127 for a command that cannot run
        if (e instanceof SandboxError && e.exitCode === 1) throw new SandboxError(e.code, e.message, { cause: e, exitCode: 125 });
        throw e;
      }
      void m;
    });

  program.command('system').description('runtime housekeeping')
    .command('prune').description('remove exited containers and what dead runs left behind')
    .option('-f, --force', 'do not ask (always true: there is no prompt)', false)
    .action(async () => {
      const { m, ctx } = await lc();
      const r = m.prune(ctx);
      for (const id of r.removed) out(`Deleted Containers: ${id}\n`);
      for (const id of r.cgroups) out(`Deleted cgroup: ${id}\n`);
      // lab networks no live container is on: their namespace, bridge, uplink and nft tables
      const nets = (await import('../../sandbox/network/index.js')).reapNetworks();
      for (const n of nets) out(`Tore down network: ${n}\n`);
      out(`Total: ${r.removed.length} containers, ${r.cgroups.length} stale cgroups, ${nets.length} idle networks\n`);
    });
}

/** registerInUse makes the image store's rmi ask the container records before deleting an image */
export async function registerInUse(program: Command): Promise<void> {
  // store.js, not image/index.js (which loads the archive code): rmi reads records only
  const { registerImageInUse } = await import('../../image/store.js');
  registerImageInUse(async (imageId) => {
    const { imageInUse } = await import('../../sandbox/lifecycle.js');
    const { dataRoot } = await import('../../sandbox/paths.js');
    return imageInUse(dataRoot((program.opts() as { root?: string }).root), imageId);
  });
}
