import type { NextFunction, Request, Response } from 'express';
import type { OperationOutcome } from '@medplum/fhirtypes';
import { AppError, isAppError } from '../errors';
import type { ErrorCode } from '../errors';
import { isFhirPath } from './context';
import { renderErrorPage, sendHtml } from './html';

/** OAuth 2.0 error codes the token endpoint answers with (RFC 6749 §5.2). */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope';

/** An OAuth error for the token endpoint: 401 for client authentication, 400 for everything else (RFC 6749 §5.2). */
export function oauthError(error: OAuthErrorCode, description: string): AppError {
  const code: ErrorCode = error === 'invalid_client' ? 'unauthorized' : 'bad_request';
  return new AppError(code, description, { details: { oauthError: error } });
}

/**
 * An error the FHIR server answers with an OperationOutcome. `issueCode` is the FHIR issue type
 * (https://hl7.org/fhir/R4/valueset-issue-type.html); `status` overrides the HTTP status for the cases the shared
 * error codes do not name (405, 412, 413, 415).
 */
export function fhirError(code: ErrorCode, message: string, issueCode: string, status?: number): AppError {
  return new AppError(code, message, { details: { issueCode, ...(status === undefined ? {} : { status }) } });
}

const ISSUE_BY_CODE: Partial<Record<ErrorCode, string>> = {
  bad_request: 'invalid',
  unauthorized: 'login',
  forbidden: 'forbidden',
  not_found: 'not-found',
  internal: 'exception',
};

/** One error issue; `expression` names the element at fault (FHIRPath, e.g. `DocumentReference.context.encounter`). */
export function operationOutcome(issueCode: string, message: string, expression?: string): OperationOutcome {
  return {
    resourceType: 'OperationOutcome',
    issue: [
      {
        severity: 'error',
        code: issueCode as 'invalid',
        details: { text: message },
        ...(expression === undefined ? {} : { expression: [expression] }),
      },
    ],
  };
}

/** Errors that did not come from our code: body-parser's limits and syntax errors, and the unexpected. */
function normalize(error: unknown): AppError {
  if (isAppError(error)) {
    return error;
  }
  const status = (error as { status?: unknown }).status;
  if (status === 413) {
    return fhirError('bad_request', 'The request body is too large.', 'too-costly', 413);
  }
  if (status === 400) {
    return fhirError('bad_request', 'The request body is not valid JSON or form data.', 'invalid');
  }
  // Only the error's type and where it was thrown are logged (the stack's frames, not its first line): messages can
  // carry resource content.
  const frames = error instanceof Error ? (error.stack ?? '').split('\n').slice(1, 6).map((line) => line.trim()) : [];
  console.error('[sandbox] unexpected error:', error instanceof Error ? error.name : typeof error, frames.join(' | '));
  return new AppError('internal', 'The sandbox EHR failed unexpectedly.', { cause: error });
}

function statusOf(error: AppError): number {
  const override = error.details?.status;
  return typeof override === 'number' ? override : error.status;
}

/**
 * The sandbox's one error handler. The same AppError becomes what each kind of client expects:
 * an OAuth error body at the token endpoint, an OperationOutcome under each FHIR base, JSON for the fault-control API,
 * an escaped HTML page elsewhere.
 */
export function sandboxErrorHandler(error: unknown, req: Request, res: Response, _next: NextFunction): void {
  const appError = normalize(error);
  const status = statusOf(appError);
  if (req.path.startsWith('/auth/token')) {
    const oauth = appError.details?.oauthError;
    res.status(status).setHeader('Cache-Control', 'no-store').setHeader('Pragma', 'no-cache');
    res.json({ error: typeof oauth === 'string' ? oauth : 'server_error', error_description: appError.message });
    return;
  }
  if (isFhirPath(req.path)) {
    if (status === 401) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="sandbox-fhir", error="invalid_token"');
    }
    const issueCode = appError.details?.issueCode;
    const issue = typeof issueCode === 'string' ? issueCode : (ISSUE_BY_CODE[appError.code] ?? 'processing');
    res.status(status).type('application/fhir+json; charset=utf-8');
    res.send(JSON.stringify(operationOutcome(issue, appError.message)));
    return;
  }
  if (req.path.startsWith('/simulator/faults')) {
    res.status(status).setHeader('Cache-Control', 'no-store').json({ error: appError.code, message: appError.message });
    return;
  }
  sendHtml(res, status, renderErrorPage(status, appError.message));
}
