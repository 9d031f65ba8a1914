// image/index.ts — the image store's public surface (re-exports only)
export { openStore, ImageStore, registerImageInUse, isImageInUse, type ImageInfo, type InUseHook } from './store.js';
export { importRootfs } from './import.js';
export { loadArchive, type LoadedImage } from './load.js';
export { saveImages } from './save.js';
export { inspectImage, imageRows, historyRows } from './inspect.js';
export { parseRef, normaliseTag } from './ref.js';
export type { ImageConfig, ResolvedImage } from './types.js';
