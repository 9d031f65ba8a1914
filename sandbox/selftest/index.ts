// sandbox/selftest/index.ts — the escape battery's host-side interpretation: re-exports only (host, pure)
export * from './probe-format.js';
export * from './catalog.js';
export * from './expectations.js';
export * from './probe-args.js';
