// sandbox/network/lab-leave.ts — a container leaves its lab network (parent, any process that cleans up)
export function leaveLab(_stateDir: string): void { /* filled in with lab networks */ }
