/**
 * The app's routes (method and path), read from Express's router. Tests use it to hold every GET route to being
 * read-only: a route added later is checked without anyone remembering to list it.
 */
import type express from 'express';

export interface RouteEntry {
  method: string;
  path: string;
}

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
}

function collect(stack: readonly Layer[], into: RouteEntry[]): RouteEntry[] {
  for (const layer of stack) {
    if (layer.route !== undefined) {
      for (const [method, on] of Object.entries(layer.route.methods)) {
        if (on) {
          into.push({ method: method.toUpperCase(), path: layer.route.path });
        }
      }
    } else if (layer.handle?.stack !== undefined) {
      collect(layer.handle.stack, into);
    }
  }
  return into;
}

export function routesOf(app: express.Express): RouteEntry[] {
  const router = (app as unknown as { router?: { stack?: Layer[] } }).router;
  return collect(router?.stack ?? [], []);
}
