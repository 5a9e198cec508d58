/**
 * The product's one error type. Everything that goes wrong on purpose is an AppError: it carries the HTTP status,
 * a stable machine code, and a message that is safe to show a clinician (never PHI, never a token, never a stack).
 * The single error handler in `app.ts` turns it into a page or a JSON body.
 */
export type ErrorCode =
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'unsupported_media_type'
  | 'unprocessable'
  | 'too_many_requests'
  | 'bad_gateway'
  | 'gateway_timeout'
  | 'service_unavailable'
  | 'internal';

const STATUS_BY_CODE: Record<ErrorCode, number> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  unsupported_media_type: 415,
  unprocessable: 422,
  too_many_requests: 429,
  bad_gateway: 502,
  gateway_timeout: 504,
  service_unavailable: 503,
  internal: 500,
};

export interface AppErrorOptions {
  /** What the person can do about it (shown under the message). */
  hint?: string;
  /** Structured, PHI-free details for API callers (e.g. the names of missing checklist items). */
  details?: Record<string, unknown>;
  /** The underlying cause, kept for the operational log only. */
  cause?: unknown;
}

export class AppError extends Error {
  readonly status: number;
  readonly hint: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(
    readonly code: ErrorCode,
    message: string,
    options: AppErrorOptions = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'AppError';
    this.status = STATUS_BY_CODE[code];
    this.hint = options.hint;
    this.details = options.details;
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}

export const badRequest = (message: string, options?: AppErrorOptions): AppError =>
  new AppError('bad_request', message, options);
export const unauthorized = (message: string, options?: AppErrorOptions): AppError =>
  new AppError('unauthorized', message, options);
export const forbidden = (message: string, options?: AppErrorOptions): AppError =>
  new AppError('forbidden', message, options);
export const notFound = (message: string, options?: AppErrorOptions): AppError =>
  new AppError('not_found', message, options);
export const unprocessable = (message: string, options?: AppErrorOptions): AppError =>
  new AppError('unprocessable', message, options);
export const badGateway = (message: string, options?: AppErrorOptions): AppError =>
  new AppError('bad_gateway', message, options);

/** The stable reason code of an error (for audit rows and metrics: a code, never a message). */
export function reasonOf(error: unknown): string {
  if (isAppError(error)) {
    const reason = error.details?.reason;
    return typeof reason === 'string' && /^[a-z0-9_]{1,60}$/.test(reason) ? reason : error.code;
  }
  return 'internal';
}
