import { TRPCError } from '@trpc/server';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server/rpc';
import { z } from 'zod';
import { errorStatus, type ErrorBody, type ErrorCode, type ErrorDetail } from '../shared/errors.ts';

const trpcCodeFor: Record<ErrorCode, TRPC_ERROR_CODE_KEY> = {
  BAD_REQUEST: 'BAD_REQUEST',
  VALIDATION_FAILED: 'BAD_REQUEST',
  UNAUTHORIZED: 'UNAUTHORIZED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  METHOD_NOT_ALLOWED: 'METHOD_NOT_SUPPORTED',
  CONFLICT: 'CONFLICT',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  TOO_MANY_REQUESTS: 'TOO_MANY_REQUESTS',
  INTERNAL: 'INTERNAL_SERVER_ERROR',
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
};

/** tRPC codes with no twin in ours, raised by tRPC itself (e.g. a malformed JSON body). */
const trpcOnlyCodes: Partial<Record<TRPC_ERROR_CODE_KEY, ErrorCode>> = {
  PARSE_ERROR: 'BAD_REQUEST',
  PRECONDITION_FAILED: 'BAD_REQUEST',
  UNPROCESSABLE_CONTENT: 'BAD_REQUEST',
  NOT_IMPLEMENTED: 'NOT_FOUND',
  TIMEOUT: 'SERVICE_UNAVAILABLE',
  CLIENT_CLOSED_REQUEST: 'BAD_REQUEST',
};

/**
 * The one error type services throw. It is a TRPCError, so procedures pass it through
 * untouched, and the REST error handler renders it with the same fields.
 */
export class AppError extends TRPCError {
  readonly appCode: ErrorCode;
  readonly status: number;
  readonly details: ErrorDetail[] | undefined;
  readonly retryAfter: number | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    opts: { details?: ErrorDetail[]; retryAfter?: number; cause?: unknown } = {},
  ) {
    super({ code: trpcCodeFor[code], message, cause: opts.cause });
    this.appCode = code;
    this.status = errorStatus[code];
    this.details = opts.details;
    this.retryAfter = opts.retryAfter;
  }

  toBody(requestId?: string): ErrorBody {
    return {
      code: this.appCode,
      message: this.message,
      ...(this.details && { details: this.details }),
      ...(this.retryAfter !== undefined && { retryAfter: this.retryAfter }),
      ...(requestId && { requestId }),
    };
  }
}

export function detailsFromZod(error: z.ZodError): ErrorDetail[] {
  const field = (issue: z.core.$ZodIssue) => (issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)');
  // zod 4 still runs length checks after a wrong type (an array has a length), which would add
  // "expected array to have >=8 items" under "expected string": a field of the wrong type gets only that.
  const wrongType = new Set(error.issues.filter((i) => i.code === 'invalid_type').map(field));
  return error.issues
    .filter((issue) => issue.code === 'invalid_type' || !wrongType.has(field(issue)))
    .map((issue) => ({ field: field(issue), message: issue.message }));
}

/** A 400 naming every offending field, e.g. `title: Too small: expected string to have >=1 characters`. */
export function validationError(error: z.ZodError): AppError {
  const details = detailsFromZod(error);
  const summary = details.map((d) => `${d.field}: ${d.message}`).join('; ');
  return new AppError('VALIDATION_FAILED', `Invalid input: ${summary}`, { details });
}

const statusToCode: Record<number, ErrorCode> = Object.fromEntries(
  Object.entries(errorStatus).map(([code, status]) => [status, code as ErrorCode]),
) as Record<number, ErrorCode>;

/** Maps anything thrown to an AppError; unknown errors become a generic 500 that reveals nothing. */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof z.ZodError) return validationError(err);
  if (err instanceof TRPCError) {
    if (err.cause instanceof AppError) return err.cause;
    if (err.cause instanceof z.ZodError) return validationError(err.cause);
    const appCode = trpcOnlyCodes[err.code] ?? (Object.keys(trpcCodeFor) as ErrorCode[]).find((k) => trpcCodeFor[k] === err.code);
    if (appCode && appCode !== 'INTERNAL') return new AppError(appCode, err.message);
  }
  if (isHttpStatusError(err)) {
    const code = statusToCode[err.status] ?? (err.status >= 500 ? 'INTERNAL' : 'BAD_REQUEST');
    if (code !== 'INTERNAL') return new AppError(code, err.message || code);
  }
  return new AppError('INTERNAL', 'Internal server error', { cause: err });
}

function isHttpStatusError(err: unknown): err is { status: number; message: string } {
  return (
    err instanceof Error &&
    'status' in err &&
    typeof (err as { status: unknown }).status === 'number'
  );
}
