/** The canonical Google API status names the simulator answers with. */
export type GoogleStatus = 'INVALID_ARGUMENT' | 'PERMISSION_DENIED' | 'NOT_FOUND' | 'RESOURCE_EXHAUSTED' | 'INTERNAL' | 'UNAVAILABLE';

/** A Google API error: thrown by routes, answered as `{"error":{code,message,status,details?}}`. */
export class GoogleApiError extends Error {
  constructor(
    readonly code: number,
    readonly status: GoogleStatus,
    message: string,
    readonly details?: unknown[],
  ) {
    super(message);
    this.name = 'GoogleApiError';
  }

  /** The JSON body, as googleapis.com sends it. */
  body(): { error: { code: number; message: string; status: GoogleStatus; details?: unknown[] } } {
    return { error: { code: this.code, message: this.message, status: this.status, ...(this.details ? { details: this.details } : {}) } };
  }
}

const API_KEY_INVALID = 'API key not valid. Please pass a valid API key.';

/** 400 INVALID_ARGUMENT with `message`. */
export function invalidArgument(message: string): GoogleApiError {
  return new GoogleApiError(400, 'INVALID_ARGUMENT', message);
}

/** What googleapis.com answers a key it does not know: 400 INVALID_ARGUMENT, reason API_KEY_INVALID. */
export function apiKeyInvalid(): GoogleApiError {
  return new GoogleApiError(400, 'INVALID_ARGUMENT', API_KEY_INVALID, [
    { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com', metadata: { service: 'generativelanguage.googleapis.com' } },
    { '@type': 'type.googleapis.com/google.rpc.LocalizedMessage', locale: 'en-US', message: API_KEY_INVALID },
  ]);
}

/** What googleapis.com answers a request without any key: 403 PERMISSION_DENIED. */
export function unregisteredCaller(): GoogleApiError {
  return new GoogleApiError(
    403,
    'PERMISSION_DENIED',
    "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
  );
}

/** 404 NOT_FOUND with `message`. */
export function notFound(message: string): GoogleApiError {
  return new GoogleApiError(404, 'NOT_FOUND', message);
}

/** The Gemini API's quota answer. */
export function resourceExhausted(): GoogleApiError {
  return new GoogleApiError(429, 'RESOURCE_EXHAUSTED', 'Resource has been exhausted (e.g. check quota).');
}

/** The Gemini API's answer to an internal failure. */
export function internalError(message?: string): GoogleApiError {
  return new GoogleApiError(500, 'INTERNAL', message ?? 'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting');
}
