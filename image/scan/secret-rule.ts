// image/scan/secret-rule.ts — the shape of one secret-detection rule (everywhere, types only)
import type { Severity } from './types.js';

/**
 * SecretRule: one kind of credential. A rule runs only when one of its keywords occurs in the
 * lower-cased text (cheap prefilter); then its regex (global, flags as written) finds candidates,
 * the secret being the named group `s`, else group 1, else the whole match. A candidate counts when
 * its Shannon entropy (bits/char) reaches `entropy` and neither the global nor the rule's allow-list
 * matches it. Rules are data; order matters: an earlier (more specific) rule's hit masks later
 * hits on the same characters.
 */
export interface SecretRule {
  readonly id: string;
  readonly description: string;
  readonly severity: Severity;
  /** lower-case substrings; at least one must occur in the text */
  readonly keywords: readonly string[];
  readonly regex: RegExp;
  /** minimum Shannon entropy of the secret, bits per character (0 = no check) */
  readonly entropy?: number;
  /** the candidate (secret) is not one when any of these matches it */
  readonly allow?: readonly RegExp[];
  /** the rule applies only to files whose path matches (config/Env/history never match a path rule) */
  readonly paths?: RegExp;
  /** extra content check on the secret (e.g. base64 that must decode to "user:pass") */
  readonly check?: (secret: string, match: RegExpExecArray) => boolean;
  /** the rule also runs on binary files (PEM blocks survive in binaries) */
  readonly binary?: boolean;
}
