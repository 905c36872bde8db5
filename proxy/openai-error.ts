// OpenAI-shaped error bodies (`{"error":{"message","type","param","code"}}`), the shape the
// official clients parse, for every error the proxy itself produces.

export type OpenAiErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'rate_limit_error'
  | 'timeout'
  | 'api_error';

export interface ProxyError {
  status: number;
  message: string;
  type: OpenAiErrorType;
  param: string | null;
  code: string | null;
}

export function proxyError(status: number, message: string, code: string | null = null, param: string | null = null): ProxyError {
  return { status, message, type: typeForStatus(status), param, code };
}

export function typeForStatus(status: number): OpenAiErrorType {
  switch (status) {
    case 400:
    case 404:
    case 413:
    case 415:
      return status === 404 ? 'not_found_error' : 'invalid_request_error';
    case 401:
      return 'authentication_error';
    case 403:
      return 'permission_error';
    case 408:
    case 504:
      return 'timeout';
    case 429:
      return 'rate_limit_error';
    default:
      return status < 500 ? 'invalid_request_error' : 'api_error';
  }
}

export function errorBody(e: ProxyError): Buffer {
  return Buffer.from(JSON.stringify({ error: { message: e.message, type: e.type, param: e.param, code: e.code } }));
}

/** An upstream error body passed through when it is already OpenAI-shaped, else wrapped. */
export function upstreamErrorBody(status: number, body: Buffer): Buffer {
  const head = body.toString('latin1', 0, Math.min(body.length, 64));
  if (/^\s*\{\s*"error"\s*:/.test(head)) return body;
  const text = body.toString('utf8', 0, Math.min(body.length, 2000)).trim();
  return errorBody(proxyError(status, `upstream answered ${status}${text ? `: ${text}` : ''}`, `upstream_${status}`));
}

/** An undici error on the way to a deployment: no headers in time → 408 (LiteLLM's Timeout); a body that stalls after headers → 504; anything else (refused, reset) → 502. */
export function upstreamFailure(code: string, message: string, apiBase: string): ProxyError {
  if (code === 'UND_ERR_HEADERS_TIMEOUT') return proxyError(408, `upstream ${apiBase} did not answer within the timeout`, 'timeout');
  if (code === 'UND_ERR_BODY_TIMEOUT') return proxyError(504, `upstream ${apiBase} stalled while sending its answer`, 'timeout');
  return proxyError(502, `upstream ${apiBase} failed: ${code || message}`, 'upstream_connection_error');
}
