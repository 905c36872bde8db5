// An OpenAI-compatible base URL (…/v1) split into the origin the load generator connects to
// and the chat completions path it sends to (the loadgen keeps paths apart from targets).

export function splitBaseUrl(base: string): { origin: string; chatPath: string } {
  const u = new URL(base);
  let path = u.pathname.replace(/\/+$/, '');
  if (!path.endsWith('/chat/completions')) path += '/chat/completions';
  return { origin: u.origin, chatPath: path + u.search };
}

export function bearer(apiKey: string | undefined): Record<string, string> {
  return apiKey ? { authorization: `Bearer ${apiKey}` } : {};
}
