// Exit codes, in one place, so the CLI, the runner and users' CI scripts agree.
// 99 is k6's "thresholds failed" code: CI users already recognise it.
export const EXIT_OK = 0;
export const EXIT_UNEXPECTED = 1;
export const EXIT_INVALID = 2;
export const EXIT_THRESHOLDS = 99;
export type ExitCode = typeof EXIT_OK | typeof EXIT_UNEXPECTED | typeof EXIT_INVALID | typeof EXIT_THRESHOLDS;
