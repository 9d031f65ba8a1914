// cli/commands/selftest.ts — `tssandbox selftest`: the escape battery under strict on this machine, and the kernel features found (CLI process)
//
// The battery runs through the real `run` command in a throwaway --root (never the user's store).
// Exit 1 when anything strict should stop was allowed, or the probe did not run to its end.
import type { Command } from 'commander';
import { fail } from '../../common/errors.js';
import { table } from '../../image/format.js';

export function register(program: Command): void {
  program
    .command('selftest')
    .description('run the escape battery under the strict profile and report the kernel features this sandbox uses')
    .option('--format <fmt>', 'table or json', 'table')
    .option('--timeout <seconds>', 'give up on the battery after this long', '300')
    .action(async (o: { format: string; timeout: string }) => {
      if (o.format !== 'table' && o.format !== 'json') fail('TSS_EUSAGE', 'use --format', o.format, 'expected table or json');
      const timeoutMs = Number(o.timeout) * 1000;
      if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) fail('TSS_EUSAGE', 'use --timeout', o.timeout, 'not a positive number of seconds');
      const st = await import('../../sandbox/selftest/index.js');
      const features = st.detectFeatures();
      const env = await st.openBatteryEnv();
      let r: Awaited<ReturnType<typeof st.runBattery>>;
      try {
        r = await st.runBattery(env, { profile: 'strict', timeoutMs });
      } finally {
        env.close();
      }
      const j = r.judgement;
      const ok = j.escapes.length === 0 && j.failures.length === 0 && j.complete && !r.run.refused;
      if (o.format === 'json') {
        process.stdout.write(`${JSON.stringify({
          ok, profile: 'strict', complete: j.complete, refused: r.run.refused, exit: r.outcome.code,
          rows: j.rows, escapes: j.escapes.map((x) => x.probe), unavailable: j.unavailable.map((x) => ({ probe: x.probe, reason: x.detail })),
          features,
        }, null, 1)}\n`);
      } else {
        const cut = (s: string) => (s.length > 70 ? `${s.slice(0, 67)}...` : s);
        process.stdout.write(`Escape battery under strict (${j.rows.length} probes)\n\n`);
        process.stdout.write(table(['PROBE', 'EXPECTED', 'GOT', 'LAYER', 'DETAIL'], j.rows.map((x) => [
          `${x.ok ? '' : '!! '}${x.probe}`, x.expected, x.got, x.layers.join(',') || '-', cut(x.detail),
        ])));
        if (j.unavailable.length) {
          process.stdout.write('\nUnavailable on this kernel (the kernel refuses before any sandbox layer):\n');
          for (const u of j.unavailable) process.stdout.write(`  ${u.probe}: ${u.detail}\n`);
        }
        process.stdout.write('\nKernel features\n\n');
        process.stdout.write(table(['FEATURE', 'OK', 'FOUND', 'WITHOUT IT'], features.map((f) => [f.name, f.ok ? 'yes' : 'NO', f.found, f.cost || '-'])));
        process.stdout.write('\n');
        if (!j.complete || r.run.refused) process.stdout.write(`The battery did not complete: ${st.describeRun(r)}\n`);
        for (const e of j.escapes) process.stdout.write(`ESCAPE: ${e.probe} was allowed under strict (${e.detail}); credited layers: ${e.layers.join(', ')}\n`);
        process.stdout.write(ok ? 'selftest: nothing strict should stop got through\n' : 'selftest: FAILED\n');
      }
      process.exitCode = ok ? 0 : 1;
    });
}
