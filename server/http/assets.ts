import type http from 'node:http';
import path from 'node:path';
import express from 'express';
import type { Router } from 'express';
import { notFound } from '../errors';
import { projectRoot } from '../project-root';
import { ASSET_DIRS, isCurrentVersion } from './asset-urls';

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
  // A URL with the served file's own version (asset-urls.ts) may be cached for good; any other gets max-age=0.
  const setHeaders = (res: http.ServerResponse, file: string): void => {
    const search = new URL(res.req.url ?? '/', 'http://app.invalid').search;
    if (isCurrentVersion(path.basename(file), search, root)) {
      res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
    }
  };
  const [bundled, written] = ASSET_DIRS;
  router.use('/assets', express.static(path.join(root, bundled), { fallthrough: true, index: false, setHeaders }));
  router.use('/assets', express.static(path.join(root, written), { index: false, setHeaders }));
  return router;
}
