// zod issues as the problems gatebench reports: `path: message`, one per issue, paths written
// the way a user sees them in YAML/JSON (`load.requests[0].body`), `(root)` for the whole.
import type { z } from 'zod';

type Issue = z.core.$ZodIssue;

export function formatPath(path: readonly PropertyKey[]): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s ? `.${String(p)}` : String(p);
  return s || '(root)';
}

/** `{path, message}` for each issue; an unrecognized key becomes its own `unknown key` problem. */
export function issueProblems(issues: readonly Issue[], prefix: readonly PropertyKey[] = []): { path: PropertyKey[]; message: string; unknownKey: boolean }[] {
  const out: { path: PropertyKey[]; message: string; unknownKey: boolean }[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') for (const k of issue.keys) out.push({ path: [...prefix, ...issue.path, k], message: 'unknown key', unknownKey: true });
    else out.push({ path: [...prefix, ...issue.path], message: issue.message, unknownKey: false });
  }
  return out;
}

/** Every problem of a failed parse as `path: message`. */
export function zodProblems(error: { issues: readonly Issue[] }, prefix: readonly PropertyKey[] = []): string[] {
  return issueProblems(error.issues, prefix).map((p) => `${formatPath(p.path)}: ${p.message}`);
}
