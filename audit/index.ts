// audit/index.ts — the audit module's public API: events, writer, anchor, verify, review (re-exports only)
export * from './events.js';
export { AuditError } from './errors.js';
export { AuditWriter, type AuditWriterOptions, type AppendResult } from './writer.js';
export { writeAnchor, readAnchor, anchorPathFor, type Anchor, type Head } from './anchor.js';
export { verify, type VerifyOptions, type VerifyResult } from './verify.js';
export { RateLimiter, shapeKey } from './ratelimit.js';
export { genesisHash, lineHash, MIN_KEY_BYTES } from './chain.js';
export { readKey, readKeyFd, openKeyFile, keyModeProblem } from './key.js';
export { readEvents, parseLine, matches, parseSince, summarize, type EventFilter, type Summary } from './review.js';
export { renderRows, renderSummary, row, ROW_HEADER } from './render.js';
export { follow, type FollowOptions } from './follow.js';
