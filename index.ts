// index.ts — the public API of tssandbox (library consumers and cli/ import only this)
export { SandboxError, ERROR_CODES } from './common/errors.js';
export type { Profile } from './policy/types.js';
export type { ImageConfig, ResolvedImage } from './image/types.js';
