import path from 'node:path';
import express from 'express';
import type { Router } from 'express';
import { notFound } from '../errors';
import { projectRoot } from '../project-root';

/**
 * The browser's files under `/assets`: the bundled client (dist/client) and its static files (client/public).
 * Source maps are for developers: in production they would hand the client's source to anyone, so they are not served.
 */
export function assetRoutes(options: { production: boolean; root?: string }): Router {
  const root = options.root ?? projectRoot();
  const router = express.Router();
  if (options.production) {
    router.use('/assets', (req, _res, next) => {
      next(req.path.endsWith('.map') ? notFound('Not found.') : undefined);
    });
  }
  router.use('/assets', express.static(path.join(root, 'dist', 'client'), { fallthrough: true, index: false }));
  router.use('/assets', express.static(path.join(root, 'client', 'public'), { index: false }));
  return router;
}
