// image/types.ts — what the image store hands to `run` (everywhere, types only)
//
// The contract between image/ and sandbox/: run asks the store to resolve a reference and gets the
// image config plus the unpacked layer directories to stack. Fields may be added, never renamed.

/** The parts of an OCI/docker image config `run` uses (docker's capitalised names). */
export interface ImageConfig {
  readonly User?: string;
  readonly Env?: readonly string[];
  readonly Entrypoint?: readonly string[] | null;
  readonly Cmd?: readonly string[] | null;
  readonly WorkingDir?: string;
  readonly ExposedPorts?: Readonly<Record<string, object>>;
  readonly Labels?: Readonly<Record<string, string>>;
  readonly StopSignal?: string;
  readonly Volumes?: Readonly<Record<string, object>>;
}

export interface ResolvedImage {
  /** image id: "sha256:<hex>" of the config blob */
  readonly id: string;
  /** the reference as the user gave it, normalised (name:tag) */
  readonly ref: string;
  readonly config: ImageConfig;
  /**
   * Absolute paths of the unpacked layer directories, BOTTOM FIRST. Files are owned by the ids in
   * the archive (container root = host 0 on disk); run idmaps them. OCI whiteouts are already
   * converted to overlayfs form (0:0 char devices, trusted.overlay.opaque=y) so the layers stack
   * with overlayfs directly.
   */
  readonly layers: readonly string[];
  /** the layers' diff_ids ("sha256:<hex>"), in the same order as layers (for audit/scan) */
  readonly diffIds?: readonly string[];
}
