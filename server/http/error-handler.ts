import type { ErrorRequestHandler } from 'express';
import { AppError, isAppError } from '../errors';
import type { Logger } from '../log';
import { pathOnly, scrub } from '../log';
import { html, renderPage } from './html';
import { routeShape } from './request-log';

/**
 * The one error handler. An AppError becomes a clear page (or JSON for `/api/`), with its hint; anything else is
 * logged (scrubbed) and answered with a generic message. No stack, no upstream text, no PHI leaves the server.
 */
function normalize(error: unknown): AppError {
  if (isAppError(error)) {
    return error;
  }
  const bodyError = error as { type?: string; status?: number };
  if (bodyError.type === 'entity.parse.failed') {
    return new AppError('bad_request', 'The request body could not be read as JSON.');
  }
  if (bodyError.type === 'entity.too.large') {
    return new AppError('bad_request', 'The request body is too large.');
  }
  // body-parser's own refusals of an encoding or charset it cannot read: the client's mistake, not ours.
  if (bodyError.type === 'encoding.unsupported' || bodyError.type === 'charset.unsupported') {
    return new AppError('unsupported_media_type', 'The request body is sent in an encoding the app does not read.', {
      hint: 'Send JSON as UTF-8, uncompressed or gzip/deflate/br.',
      details: { reason: bodyError.type },
    });
  }
  return new AppError('internal', 'Something went wrong in ITDD Consent.', {
    hint: 'Nothing you entered has been lost. Try again; if it keeps happening, tell your support team.',
    cause: error,
  });
}

export function errorPage(error: AppError): string {
  return renderPage({
    title: 'Problem',
    // The alert sits inside the `main` landmark: a role on `main` itself would replace the landmark.
    body: html`<main class="error-page"><div role="alert">
  <h1>${error.message}</h1>
  ${error.hint === undefined ? '' : html`<p class="hint">${error.hint}</p>`}
  <p class="code">Reference: ${error.code}${typeof error.details?.reason === 'string' ? ` / ${error.details.reason}` : ''}</p>
</div></main>`,
  });
}

export function createErrorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const appError = normalize(error);
    const fields = { method: req.method, path: routeShape(scrub(pathOnly(req.originalUrl))), status: appError.status, errorCode: appError.code };
    if (appError.status >= 500 && appError.code === 'internal') {
      const cause = appError.cause ?? error;
      logger.error('request.failed', { ...fields, error: scrub(cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause)) });
    } else {
      logger.info('request.rejected', { ...fields, reason: typeof appError.details?.reason === 'string' ? appError.details.reason : undefined });
    }
    res.status(appError.status).set('Cache-Control', 'no-store');
    if (req.path.startsWith('/api/')) {
      res.json({ error: appError.code, message: appError.message, hint: appError.hint, details: appError.details });
      return;
    }
    res.type('html').send(errorPage(appError));
  };
}
