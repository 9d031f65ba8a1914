// audit/index.ts — the audit module's public API: events, writer, anchor, verify, review (re-exports only)
export * from './events.js';
export { AuditError } from './errors.js';
export { AuditWriter, type AuditWriterOptions, type AppendResult } from './writer.js';
export { writeAnchor, readAnchor, anchorPathFor, type Anchor, type Head } from './anchor.js';
export { verify, type VerifyOptions, type VerifyResult } from './verify.js';
export { RateLimiter, shapeKey } from './ratelimit.js';
export { genesisHash, lineHash, MIN_KEY_BYTES } from './chain.js';
export { readKey } from './key.js';
