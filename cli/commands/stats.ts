// cli/commands/stats.ts — `stats [NAME...]`: containers' CPU, memory and pids from their cgroups, streamed or once (CLI process)
import type { Command } from 'commander';
import { fail } from '../../common/errors.js';

export function register(program: Command): void {
  program.command('stats').description('show containers\' CPU, memory and pids (all running ones, or those named)')
    .argument('[container...]')
    .option('--no-stream', 'print one sample and exit (default: refresh until interrupted)')
    .option('--format <fmt>', 'table or json (one JSON object per container per line)', 'table')
    .option('--interval <ms>', 'milliseconds between samples (CPU % is measured over it)', '1000')
    .action(async (refs: string[], o: { stream: boolean; format: string; interval: string }) => {
      if (o.format !== 'table' && o.format !== 'json') fail('TSS_EUSAGE', 'use --format', o.format, 'expected table or json');
      if (!/^\d+$/.test(o.interval) || Number(o.interval) < 100) fail('TSS_EUSAGE', 'use --interval', o.interval, 'expected milliseconds, at least 100');
      const interval = Number(o.interval);
      const lc = await import('../../sandbox/lifecycle.js');
      const { StatsSampler, statsTargets } = await import('../../sandbox/stats.js');
      const { table } = await import('../../image/format.js');
      const ctx = lc.context((program.opts() as { root?: string }).root);
      const sampler = new StatsSampler();
      const pause = () => new Promise((r) => setTimeout(r, interval));
      let targets = statsTargets(ctx, refs);
      sampler.prime(targets);
      let stopped = false;
      const onInt = () => { stopped = true; };
      process.once('SIGINT', onInt);
      try {
        for (let first = true; ; first = false) {
          await pause();
          if (stopped) return;
          // a stream follows containers as they come and go (named ones keep their row)
          if (!first) targets = statsTargets(ctx, refs);
          const rows = sampler.rows(targets);
          if (o.format === 'json') process.stdout.write(rows.map((r) => `${JSON.stringify(r)}\n`).join(''));
          else {
            if (o.stream && process.stdout.isTTY) process.stdout.write('\x1b[2J\x1b[H');
            process.stdout.write(table(['CONTAINER ID', 'NAME', 'CPU %', 'MEM USAGE / LIMIT', 'MEM %', 'PIDS'], rows.map((r) => [r.ID, r.Name, r.CPUPerc, r.MemUsage, r.MemPerc, r.PIDs])));
          }
          if (!o.stream) return;
          // named containers that all ended: nothing more will change
          if (refs.length && targets.every((c) => c.state.status !== 'running')) return;
        }
      } finally { process.off('SIGINT', onInt); }
    });
}
