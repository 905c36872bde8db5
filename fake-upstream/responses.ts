// OpenAI-shaped bodies, precomputed once per server: the hot path only concatenates a few
// strings (id, created, model, token counts) into fixed pieces.
import { randomBytes } from 'node:crypto';

const VOCAB = ['The', 'quick', 'brown', 'fox', 'jumps', 'over', 'the', 'lazy', 'dog', 'while', 'a', 'fake', 'upstream', 'answers', 'every', 'request'];
const FINGERPRINT = 'fp_gatebench';
export const EMBEDDING_DIM = 8;

const JSON_ERR = (message: string, type: string, param: string | null, code: string | null): Buffer =>
  Buffer.from(JSON.stringify({ error: { message, type, param, code } }));

export const ERR_BODY = {
  invalidJson: JSON_ERR(
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)",
    'invalid_request_error',
    null,
    null,
  ),
  notObject: JSON_ERR('The request body must be a JSON object.', 'invalid_request_error', null, null),
  missingMessages: JSON_ERR("Missing required parameter: 'messages'.", 'invalid_request_error', 'messages', 'missing_required_parameter'),
  messagesNotArray: JSON_ERR("Invalid type for 'messages': expected an array of objects.", 'invalid_request_error', 'messages', 'invalid_type'),
  missingModel: JSON_ERR('you must provide a model parameter', 'invalid_request_error', 'model', 'missing_required_parameter'),
  missingPrompt: JSON_ERR("Missing required parameter: 'prompt'.", 'invalid_request_error', 'prompt', 'missing_required_parameter'),
  missingInput: JSON_ERR("Missing required parameter: 'input'.", 'invalid_request_error', 'input', 'missing_required_parameter'),
  rateLimit: JSON_ERR(
    'Rate limit reached for requests (gatebench fake upstream). Please try again later.',
    'requests',
    null,
    'rate_limit_exceeded',
  ),
  server: JSON_ERR('The server had an error while processing your request. Sorry about that!', 'server_error', null, null),
  overloaded: JSON_ERR('The engine is currently overloaded, please try again later.', 'server_error', null, 'service_unavailable'),
};

export function tooLargeBody(limit: number): Buffer {
  return JSON_ERR(`Request body too large: the limit is ${limit} bytes.`, 'invalid_request_error', null, 'request_too_large');
}

export function notFoundBody(method: string, path: string): string {
  return JSON.stringify({ error: { message: `Invalid URL (${method} ${path})`, type: 'invalid_request_error', param: null, code: null } });
}

/** The fixed parts of one kind of SSE answer: chunk = head + tail. */
export interface StreamShape {
  /** the first chunk's tail ('' = none): chat sends the assistant role first */
  readonly firstTail: string;
  readonly tokenTails: readonly string[];
  readonly stopTail: string;
}

/** Everything that depends only on the server's options. */
export class Bodies {
  private readonly idBase = randomBytes(6).toString('hex');
  private idSeq = 0;
  readonly completionTokens: number;
  readonly content: string;
  private readonly contentJson: string;
  /** SSE shapes of chat completions (delta chunks, a role chunk first). */
  readonly chatStream: StreamShape;
  /** SSE shapes of legacy completions (text chunks, no role chunk). */
  readonly completionStream: StreamShape;
  readonly embeddingFloat: string;
  readonly embeddingBase64: string;
  readonly models: Buffer;

  constructor(completionTokens: number) {
    this.completionTokens = completionTokens;
    const tokens: string[] = [];
    for (let i = 0; i < completionTokens; i++) tokens.push((i ? ' ' : '') + VOCAB[i % VOCAB.length]);
    this.content = tokens.join('');
    this.contentJson = JSON.stringify(this.content);
    this.chatStream = {
      firstTail: '"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}]}\n\n',
      tokenTails: tokens.map((t) => `"content":${JSON.stringify(t)}},"logprobs":null,"finish_reason":null}]}\n\n`),
      stopTail: '},"logprobs":null,"finish_reason":"stop"}]}\n\n',
    };
    this.completionStream = {
      firstTail: '',
      tokenTails: tokens.map((t) => `"text":${JSON.stringify(t)},"index":0,"logprobs":null,"finish_reason":null}]}\n\n`),
      stopTail: '"text":"","index":0,"logprobs":null,"finish_reason":"stop"}]}\n\n',
    };
    const vec = new Float32Array(EMBEDDING_DIM);
    for (let i = 0; i < EMBEDDING_DIM; i++) vec[i] = Math.round(Math.sin(i + 1) * 1e6) / 1e6;
    this.embeddingFloat = JSON.stringify(Array.from(vec));
    this.embeddingBase64 = JSON.stringify(Buffer.from(vec.buffer).toString('base64'));
    const created = 1_700_000_000;
    const ids = ['gpt-4o', 'gpt-4o-mini', 'gpt-3.5-turbo', 'text-embedding-3-small', 'fake-openai-endpoint', 'db-openai-endpoint'];
    this.models = Buffer.from(JSON.stringify({ object: 'list', data: ids.map((id) => ({ id, object: 'model', created, owned_by: 'gatebench' })) }));
  }

  nextId(prefix: string): string {
    return prefix + this.idBase + (++this.idSeq).toString(36);
  }

  chat(modelJson: string, promptTokens: number): string {
    const k = this.completionTokens;
    return (
      '{"id":"' + this.nextId('chatcmpl-') + '","object":"chat.completion","created":' + ((Date.now() / 1000) | 0) +
      ',"model":' + modelJson +
      ',"choices":[{"index":0,"message":{"role":"assistant","content":' + this.contentJson +
      ',"refusal":null},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":' + promptTokens +
      ',"completion_tokens":' + k + ',"total_tokens":' + (promptTokens + k) + '},"system_fingerprint":"' + FINGERPRINT + '"}'
    );
  }

  /** `data: {…"choices":[{"index":0,"delta":{` — each chat chunk is this head + a tail. */
  chatChunkHead(modelJson: string): string {
    return (
      'data: {"id":"' + this.nextId('chatcmpl-') + '","object":"chat.completion.chunk","created":' + ((Date.now() / 1000) | 0) +
      ',"model":' + modelJson + ',"system_fingerprint":"' + FINGERPRINT + '","choices":[{"index":0,"delta":{'
    );
  }

  /** `data: {…"choices":[{` — each legacy completion chunk is this head + a tail. */
  completionChunkHead(modelJson: string): string {
    return 'data: {"id":"' + this.nextId('cmpl-') + '","object":"text_completion","created":' + ((Date.now() / 1000) | 0) + ',"model":' + modelJson + ',"choices":[{';
  }

  /** The usage chunk (choices: []) sent when stream_options.include_usage is true. */
  usageChunk(head: string, promptTokens: number): string {
    const k = this.completionTokens;
    const prefix = head.slice(0, head.lastIndexOf('"choices":') + '"choices":'.length);
    return prefix + '[],"usage":{"prompt_tokens":' + promptTokens + ',"completion_tokens":' + k + ',"total_tokens":' + (promptTokens + k) + '}}\n\n';
  }

  completion(modelJson: string, promptTokens: number): string {
    const k = this.completionTokens;
    return (
      '{"id":"' + this.nextId('cmpl-') + '","object":"text_completion","created":' + ((Date.now() / 1000) | 0) +
      ',"model":' + modelJson + ',"choices":[{"text":' + this.contentJson +
      ',"index":0,"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":' + promptTokens +
      ',"completion_tokens":' + k + ',"total_tokens":' + (promptTokens + k) + '}}'
    );
  }

  embeddings(modelJson: string, count: number, base64: boolean, promptTokens: number): string {
    const vec = base64 ? this.embeddingBase64 : this.embeddingFloat;
    let data = '';
    for (let i = 0; i < count; i++) data += (i ? ',' : '') + '{"object":"embedding","index":' + i + ',"embedding":' + vec + '}';
    return (
      '{"object":"list","data":[' + data + '],"model":' + modelJson +
      ',"usage":{"prompt_tokens":' + promptTokens + ',"total_tokens":' + promptTokens + '}}'
    );
  }
}

export const DONE = 'data: [DONE]\n\n';
