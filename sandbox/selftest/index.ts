// sandbox/selftest/index.ts — the escape battery's host side: re-exports only (host)
export * from './probe-format.js';
export * from './catalog.js';
export * from './expectations.js';
export * from './probe-args.js';
export * from './probe-image.js';
export * from './run-battery.js';
export * from './attribution.js';
export * from './kernel-features.js';
