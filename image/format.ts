// image/format.ts — how image data is shown: sizes, ages, short ids, tables (CLI process, pure)

/** humanSize renders bytes the way docker does (decimal units, 3 significant digits). */
export function humanSize(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) { v /= 1000; i++; }
  return `${v >= 100 || i === 0 ? Math.round(v) : v.toPrecision(3).replace(/\.?0+$/, '')}${units[i]}`;
}

/** humanAge renders "3 hours ago" from an ISO time (docker's CREATED column). */
export function humanAge(iso: string | undefined, now = Date.now()): string {
  if (!iso) return 'N/A';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return 'N/A';
  const s = Math.max(0, Math.round((now - t) / 1000));
  const steps: Array<[number, string]> = [[60, 'second'], [60, 'minute'], [24, 'hour'], [7, 'day'], [4.35, 'week'], [12, 'month'], [Infinity, 'year']];
  let v = s;
  for (const [div, unit] of steps) {
    if (v < div) return v <= 1 && unit === 'second' ? 'Less than a second ago' : `${Math.floor(v)} ${unit}${Math.floor(v) === 1 ? '' : 's'} ago`;
    v /= div;
  }
  return 'N/A';
}

export function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

/** table left-aligns columns with three spaces between them, like docker. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]! + 3))).join('').trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}
