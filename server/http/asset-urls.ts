import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../project-root';

/**
 * Versioned URLs for the app's own files under `/assets`: `/assets/app.js?v=<first 12 hex of its SHA-256>`. A URL
 * carrying the version of the file being served is cached for a year (`immutable`), so an app window opened from
 * the chart loads its script and stylesheet from the browser's cache instead of asking again at every launch (a
 * round trip to the app's server each, inside the EHR's frame). A new build changes the hash, so a new page asks
 * for the new file; a URL with an old or no version is served with `max-age=0`, as before.
 */

/** Where `/assets/<name>` comes from, in the order the asset routes try them. */
export const ASSET_DIRS = ['dist/client', 'client/public'] as const;

const PREFIX = '/assets/';
/** A plain file name: the only assets the app links to (no folders, no dot-files). */
const ASSET_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const versions = new Map<string, string | null>();

/** The asset's version (hash of its content), read once per process and root; null when there is no such file. */
export function assetVersion(name: string, root: string = projectRoot()): string | null {
  if (!ASSET_NAME.test(name)) {
    return null;
  }
  const key = `${root}\n${name}`;
  const known = versions.get(key);
  if (known !== undefined) {
    return known;
  }
  const file = ASSET_DIRS.map((dir) => path.join(root, dir, name)).find((candidate) => fs.existsSync(candidate));
  const version = file === undefined ? null : crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex').slice(0, 12);
  versions.set(key, version);
  return version;
}

/** `/assets/app.js` → `/assets/app.js?v=…`; any other URL, or an asset this build lacks, is returned as it is. */
export function versionedAssetUrl(url: string, root?: string): string {
  if (!url.startsWith(PREFIX)) {
    return url;
  }
  const version = assetVersion(url.slice(PREFIX.length), root);
  return version === null ? url : `${url}?v=${version}`;
}

/** Whether a request for the file `name` with query `search` asked for this very content (so it may be cached for good). */
export function isCurrentVersion(name: string, search: string, root?: string): boolean {
  const asked = new URLSearchParams(search).get('v');
  return asked !== null && asked === assetVersion(name, root);
}
