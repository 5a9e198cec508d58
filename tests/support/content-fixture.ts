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

/**
 * What a reviewer does before approving: completes every citation that has no identifier yet. Here with a synthetic
 * PMID (the fixture stands for completed packs; only approval, not the identifier, is under test).
 */
export function withCitationsCompleted(dir: string): string {
  const files = [handoutFile(dir, 'en'), handoutFile(dir, 'es'), path.join(dir, 'checklist', 'itdd-consent-checklist.en.json')];
  for (const file of files) {
    const pack = JSON.parse(fs.readFileSync(file, 'utf8')) as { citations?: Array<{ text: string; kind?: string }> };
    for (const citation of pack.citations ?? []) {
      if (citation.kind !== 'seed' && !/\bPMID:?\s*\d|\b10\.\d{4,9}\/|\bPMC\d/.test(citation.text)) {
        citation.text = `${citation.text} PMID: 10000001.`;
      }
    }
    fs.writeFileSync(file, `${JSON.stringify(pack, null, 2)}\n`);
  }
  return dir;
}

/** The version of a shipped pack file (content/<relative path>), so tests follow the content as it is bumped. */
export function shippedVersion(relative: string): string {
  return (JSON.parse(fs.readFileSync(path.join(projectRoot(), 'content', relative), 'utf8')) as { version: string }).version;
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
