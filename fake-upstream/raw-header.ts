// One request header read from req.rawHeaders: node builds req.headers (an object of every
// header) on first access, which the hot path of the fake upstream never needs.

/** The first value of header `name` (lower case), or null. */
export function rawHeader(req: { rawHeaders: string[] }, name: string): string | null {
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const k = raw[i];
    if (k.length === name.length && (k === name || k.toLowerCase() === name)) return raw[i + 1];
  }
  return null;
}
