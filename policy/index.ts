// policy/index.ts — the public API of policy/: profiles, the seccomp compiler, explain and disasm (everywhere)
export { loadProfile, listBuiltinProfiles, PROFILES_DIR } from './load.js';
export { compileSeccomp, explain, disasm, type CompiledFilter, type Explanation } from './api.js';
export { evaluate, type Verdict } from './seccomp/evaluate.js';
export { run as interpretFilter } from './seccomp/interpret.js';
export { formatAction, parseAction, actionValue } from './seccomp/actions.js';
export type { SeccompPolicy, SeccompRule, SeccompData, Action, ArgMatcher, Predicate } from './seccomp/types.js';
export type { Profile } from './types.js';
export { loadProfileText } from './load.js';
export { loadSeccomp } from './seccomp-file.js';
export { importOciSeccomp, parseOciJson, isOciSeccompText, DOCKER_DEFAULT_CAPS, type OciSeccomp, type ImportOptions } from './oci-import.js';
export { exportOciSeccomp, ociJson } from './oci-export.js';
export { diffPolicies, formatDiff, type DecisionDiff } from './diff.js';
export { lintPolicy } from './lint.js';
export { runCases, type CaseResult } from './cases.js';
