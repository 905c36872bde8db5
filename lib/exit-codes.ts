// Exit codes, in one place, so the CLI, the runner and users' CI scripts agree.
// 130 is what a shell reports for Ctrl-C. 99 is k6's "thresholds failed" code: CI users already recognise it.
export const EXIT_OK = 0;
export const EXIT_UNEXPECTED = 1;
export const EXIT_INVALID = 2;
export const EXIT_THRESHOLDS = 99;
/** Interrupted by Ctrl-C (128 + SIGINT), as shells report it; the partial result is still written. */
export const EXIT_INTERRUPTED = 130;
export type ExitCode = typeof EXIT_OK | typeof EXIT_UNEXPECTED | typeof EXIT_INVALID | typeof EXIT_THRESHOLDS | typeof EXIT_INTERRUPTED;
