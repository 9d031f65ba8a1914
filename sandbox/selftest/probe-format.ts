// sandbox/selftest/probe-format.ts — the escape-battery probe's output: zod schemas and the line parser (host, pure)
//
// The probe (test/fixtures/probe/, static C, runs inside a sandbox) prints one JSON object a line:
//   {"meta":"start"|"done"|"refused","version":1,"detail":"..."}
//   {"probe":"mount","result":"blocked"|"unavailable"|"allowed","errno":"EPERM"|null,"detail":"..."}
// "refused" is the safety gate saying no (exit 2, nothing was probed). A run is complete only when
// "done" arrived: a missing "done" means the probe itself died (killed, OOM, timed out).
import { z } from 'zod';
import { fail } from '../../common/errors.js';

export const PROBE_RESULTS = ['blocked', 'unavailable', 'allowed'] as const;
export type ProbeResult = (typeof PROBE_RESULTS)[number];

export const ProbeLineSchema = z.strictObject({
  probe: z.string().regex(/^[a-z0-9_]+$/),
  result: z.enum(PROBE_RESULTS),
  errno: z.string().regex(/^E[A-Z0-9]+$/).nullable(),
  detail: z.string(),
});
export type ProbeLine = z.infer<typeof ProbeLineSchema>;

export const MetaLineSchema = z.strictObject({
  meta: z.enum(['start', 'done', 'refused']),
  version: z.literal(1),
  detail: z.string(),
});
export type MetaLine = z.infer<typeof MetaLineSchema>;

export interface ProbeRun {
  /** probe id → its line; a probe printed twice is a parse error */
  readonly results: ReadonlyMap<string, ProbeLine>;
  readonly started: boolean;
  /** the probe reached its end ("done" line) */
  readonly complete: boolean;
  /** the safety gate's reason when it refused to run */
  readonly refused: string | null;
  /** lines that were not probe output (a sandbox may print warnings): kept for diagnostics */
  readonly stray: readonly string[];
}

/** parseProbeOutput reads the probe's stdout. It throws a SandboxError TSS_ESELFTEST for a line that
 * looks like JSON but breaks the schema (a bug in the probe, or a tampered run), or for a probe
 * reported twice; other lines land in `stray`. */
function issue(err: z.ZodError): string {
  const i = err.issues[0];
  return i ? `${i.path.join('.') || 'line'}: ${i.message}` : 'malformed';
}

export function parseProbeOutput(stdout: string): ProbeRun {
  const results = new Map<string, ProbeLine>();
  const stray: string[] = [];
  let started = false;
  let complete = false;
  let refused: string | null = null;
  for (const raw of stdout.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    if (!line.startsWith('{')) {
      stray.push(line);
      continue;
    }
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      fail('TSS_ESELFTEST', 'parse probe line', line.slice(0, 80), 'not JSON');
    }
    if (json && typeof json === 'object' && 'meta' in json) {
      const m = MetaLineSchema.safeParse(json);
      if (!m.success) fail('TSS_ESELFTEST', 'parse probe line', line.slice(0, 80), issue(m.error));
      if (m.data.meta === 'start') started = true;
      else if (m.data.meta === 'done') complete = true;
      else refused = m.data.detail;
      continue;
    }
    const p = ProbeLineSchema.safeParse(json);
    if (!p.success) fail('TSS_ESELFTEST', 'parse probe line', line.slice(0, 80), issue(p.error));
    if (results.has(p.data.probe)) fail('TSS_ESELFTEST', 'parse probe line', p.data.probe, 'reported twice');
    results.set(p.data.probe, p.data);
  }
  return { results, started, complete, refused, stray };
}
