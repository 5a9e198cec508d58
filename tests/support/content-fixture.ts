import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../../server/project-root';

/**
 * A content folder of a test's own (`CONTENT_DIR`): a copy of the shipped `content/`, whose pack files the test then
 * edits the way an author would (a new version, a changed sentence), so the shipped packs are never touched.
 */
export function contentFolderCopy(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'itdd-content-'));
  fs.cpSync(path.join(projectRoot(), 'content'), dir, { recursive: true });
  return dir;
}

export function handoutFile(dir: string, language: string): string {
  return path.join(dir, 'handout', `itdd-pump-handout.${language}.json`);
}

/** Rewrites a handout pack file: `change` edits the parsed JSON in place. */
export function editHandout(dir: string, language: string, change: (pack: Record<string, any>) => void): void {
  const file = handoutFile(dir, language);
  const pack = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, any>;
  change(pack);
  fs.writeFileSync(file, `${JSON.stringify(pack, null, 2)}\n`);
}
