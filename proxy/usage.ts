// Token counts from an upstream answer without parsing it: find `"usage":{` with
// Buffer#indexOf and parse only that small object. Used only when hooks.onRequestDone
// wants a RequestRecord.

const USAGE = Buffer.from('"usage"');

export interface Usage {
  promptTokens: number;
  completionTokens: number;
}

/** The usage object in `buf` (a JSON answer or an SSE chunk), or null. */
export function findUsage(buf: Buffer): Usage | null {
  let at = buf.lastIndexOf(USAGE);
  while (at >= 0) {
    let i = at + USAGE.length;
    while (buf[i] === 0x20 || buf[i] === 0x3a || buf[i] === 0x0a || buf[i] === 0x0d || buf[i] === 0x09) i++;
    if (buf[i] === 0x7b) {
      const end = buf.indexOf(0x7d, i);
      // usage may nest *_tokens_details objects: parse up to the brace that balances it
      const close = matchingBrace(buf, i, end);
      if (close > 0) {
        try {
          const u = JSON.parse(buf.toString('utf8', i, close + 1)) as Record<string, unknown>;
          const p = typeof u.prompt_tokens === 'number' ? u.prompt_tokens : 0;
          const c = typeof u.completion_tokens === 'number' ? u.completion_tokens : 0;
          return { promptTokens: p, completionTokens: c };
        } catch {
          return null;
        }
      }
      return null;
    }
    at = at > 0 ? buf.lastIndexOf(USAGE, at - 1) : -1;
  }
  return null;
}

function matchingBrace(buf: Buffer, open: number, firstClose: number): number {
  if (firstClose < 0) return -1;
  let depth = 0;
  for (let i = open; i < buf.length; i++) {
    const c = buf[i];
    if (c === 0x7b) depth++;
    else if (c === 0x7d && --depth === 0) return i;
  }
  return -1;
}
