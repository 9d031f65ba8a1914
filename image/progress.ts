// image/progress.ts — a progress bar on a terminal for large loads; silent otherwise (CLI process)
import { humanSize } from './format.js';

export interface Progress {
  onSize(total: number | undefined): void;
  onBytes(n: number): void;
  done(): void;
}

const MIN_BYTES = 32 * 1024 * 1024;

/** progressBar draws on stream only when it is a terminal and the input is large (or of unknown size). */
export function progressBar(label: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  let total: number | undefined;
  let seen = 0;
  let last = 0;
  let drawn = false;
  const enabled = (): boolean => Boolean(stream.isTTY) && (total === undefined || total >= MIN_BYTES);
  const draw = (): void => {
    const width = Math.max(10, Math.min(40, (stream.columns ?? 80) - 50));
    let line: string;
    if (total) {
      const f = Math.min(1, seen / total);
      const fill = Math.round(f * width);
      line = `${label} [${'='.repeat(Math.max(0, fill - 1))}${fill ? '>' : ''}${' '.repeat(width - fill)}] ${humanSize(seen)}/${humanSize(total)}`;
    } else {
      line = `${label} ${humanSize(seen)}`;
    }
    stream.write(`\r${line}\x1b[K`);
    drawn = true;
  };
  return {
    onSize(t) { total = t; },
    onBytes(n) {
      seen += n;
      if (seen < MIN_BYTES && total === undefined) return;
      const now = Date.now();
      if (enabled() && now - last > 100) { last = now; draw(); }
    },
    done() { if (drawn) { draw(); stream.write('\n'); } },
  };
}
