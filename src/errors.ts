// Every error the HTTP API can answer, in one place. Bodies follow PostHog's error shape:
// {type, code, detail, attr}.

export type ErrorType =
  | 'validation_error'
  | 'authentication_error'
  | 'invalid_request'
  | 'server_error';

interface ErrorDefinition {
  readonly status: number;
  readonly type: ErrorType;
}

export const errorCodes = {
  invalid_input: { status: 400, type: 'validation_error' },
  malformed_body: { status: 400, type: 'validation_error' },
  no_events: { status: 400, type: 'validation_error' },
  not_authenticated: { status: 401, type: 'authentication_error' },
  authentication_failed: { status: 401, type: 'authentication_error' },
  invalid_token: { status: 401, type: 'authentication_error' },
  permission_denied: { status: 403, type: 'authentication_error' },
  not_found: { status: 404, type: 'invalid_request' },
  payload_too_large: { status: 413, type: 'invalid_request' },
  unsupported_media_type: { status: 415, type: 'invalid_request' },
  error: { status: 500, type: 'server_error' },
  unavailable: { status: 503, type: 'server_error' },
} as const satisfies Record<string, ErrorDefinition>;

export type ErrorCode = keyof typeof errorCodes;

export class HttpError extends Error {
  readonly status: number;
  readonly type: ErrorType;
  constructor(
    readonly code: ErrorCode,
    readonly detail: string,
    readonly attr: string | null = null,
  ) {
    super(detail);
    this.status = errorCodes[code].status;
    this.type = errorCodes[code].type;
  }

  toBody(): { type: ErrorType; code: ErrorCode; detail: string; attr: string | null } {
    return { type: this.type, code: this.code, detail: this.detail, attr: this.attr };
  }
}

export const badRequest = (detail: string, attr: string | null = null) => new HttpError('invalid_input', detail, attr);
export const notFound = (detail = 'Not found.') => new HttpError('not_found', detail);
