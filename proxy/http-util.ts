// Small helpers for the hot path (no allocation beyond what they return).

export function isPromise<T>(v: T | Promise<T>): v is Promise<T> {
  return typeof (v as Promise<T> | null)?.then === 'function';
}

/**
 * A header from rawHeaders (names compared case-insensitively), without making node build
 * the whole `req.headers` object; `name` is lower case.
 */
export function rawHeader(raw: string[], name: string): string | undefined {
  const len = name.length;
  for (let i = 0; i < raw.length; i += 2) {
    const k = raw[i];
    if (k.length === len && (k === name || k.toLowerCase() === name)) return raw[i + 1];
  }
  return undefined;
}
