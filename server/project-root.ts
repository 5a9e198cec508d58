import fs from 'node:fs';
import path from 'node:path';

let cached: string | undefined;

/**
 * The folder holding the project's package.json. Code runs both from sources (tests) and from `dist/` (production),
 * so paths to `content/`, `fhir-resources/` and `client/` are resolved from here, never from `__dirname` depth.
 */
export function projectRoot(): string {
  if (cached !== undefined) {
    return cached;
  }
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) {
      throw new Error('package.json not found above the running code');
    }
    dir = parent;
  }
  cached = dir;
  return dir;
}
