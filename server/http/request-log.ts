import type { RequestHandler } from 'express';
import type { Logger } from '../log';

/**
 * One log line per request: method, route shape, status, duration. Never the query string (codes, states) and
 * never the concrete launch id (it would let a log reader correlate windows).
 */
function routeShape(path: string): string {
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
