// bench/types.ts — one row of `npm run bench` output (bench)
export interface BenchRow { name: string; value: number; unit: string; note?: string }
