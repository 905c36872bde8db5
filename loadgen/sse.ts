// Server-Sent Events reading for `stream: true` templates (OpenAI chat chunks): time to
// first token (the first `data:` event whose delta has non-empty content), the gaps
// between content events (inter-token latency) and the usage tokens of the last chunk.
// Only streaming requests pay for this; events are JSON-parsed because a chunk's content
// may legitimately be "" (role-only first chunk) and must not count as a token.

const MAX_GAPS = 1024;

export class SseState {
  firstTokenAt = 0;
  lastTokenAt = 0;
  readonly gaps = new Float64Array(MAX_GAPS);
  gapCount = 0;
  promptTokens = 0;
  completionTokens = 0;
  private rest = '';

  reset(): this {
    this.firstTokenAt = 0;
    this.lastTokenAt = 0;
    this.gapCount = 0;
    this.promptTokens = 0;
    this.completionTokens = 0;
    this.rest = '';
    return this;
  }

  push(chunk: Buffer, at: number): void {
    const text = this.rest + chunk.toString('utf8');
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break;
      let line = text.slice(start, nl);
      start = nl + 1;
      if (line.endsWith('\r')) line = line.slice(0, -1);
      if (line.startsWith('data:')) this.event(line.slice(line.charCodeAt(5) === 32 ? 6 : 5), at);
    }
    this.rest = text.slice(start);
  }

  private event(data: string, at: number): void {
    if (data === '[DONE]' || data.length === 0) return;
    let ev: { choices?: Array<{ delta?: { content?: string | null } }>; usage?: { prompt_tokens?: number; completion_tokens?: number } | null };
    try {
      ev = JSON.parse(data) as typeof ev;
    } catch {
      return;
    }
    const content = ev.choices?.[0]?.delta?.content;
    if (typeof content === 'string' && content.length > 0) {
      if (this.firstTokenAt === 0) this.firstTokenAt = at;
      else if (this.gapCount < MAX_GAPS) this.gaps[this.gapCount++] = at - this.lastTokenAt;
      this.lastTokenAt = at;
    }
    if (ev.usage) {
      this.promptTokens = ev.usage.prompt_tokens ?? 0;
      this.completionTokens = ev.usage.completion_tokens ?? 0;
    }
  }
}
