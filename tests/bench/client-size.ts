import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { projectRoot } from '../../server/project-root';

/** What a clinician's browser downloads of the app's code, gzipped (as served behind any compressing proxy). */
export function clientJsGzipKb(): number {
  const dir = path.join(projectRoot(), 'dist', 'client');
  const bytes = fs.readdirSync(dir).filter((f) => f.endsWith('.js')).reduce((sum, f) => sum + zlib.gzipSync(fs.readFileSync(path.join(dir, f)), { level: 9 }).length, 0);
  return Math.round((bytes / 1024) * 10) / 10;
}
