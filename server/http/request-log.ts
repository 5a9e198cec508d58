import type { RequestHandler } from 'express';
import type { Logger } from '../log';

/**
 * One log line per request: method, route shape, status, duration. Never the query string (codes, states) and
 * never the concrete launch id (it would let a log reader correlate windows).
 *
 * Written through our `Logger` (pino underneath) rather than pino-http: pino-http logs the whole request and
 * response objects (headers, cookies, the full URL) by default and would need a redaction list to keep up with;
 * these four fields are all the line should ever carry.
 */
export function routeShape(path: string): string {
  return path.replace(/\/(app|api\/launches)\/[^/]+/, '/$1/:launchId').slice(0, 120);
}

export function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      logger.info('http.request', {
        method: req.method,
        path: routeShape(req.path),
        status: res.statusCode,
        ms: Number((process.hrtime.bigint() - started) / 1_000_000n),
      });
    });
    next();
  };
}
