// image/platform.ts — the host's OCI platform (everywhere, pure)
const ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };

export function hostPlatform(): { os: string; architecture: string } {
  return { os: 'linux', architecture: ARCH[process.arch] ?? process.arch };
}

export function platformString(p: { os?: string; architecture?: string; variant?: string }): string {
  return `${p.os ?? '?'}/${p.architecture ?? '?'}${p.variant ? `/${p.variant}` : ''}`;
}
