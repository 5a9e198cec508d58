/**
 * `npm run content:score` — rewrites the `readability` block of every handout pack from its current text.
 *
 * The stored scores are what reviewers and the printed reading-level stamp see, and a unit test fails when they
 * differ from a fresh computation, so whoever edits the text runs this and commits the new scores with it.
 * Exits non-zero when an English section scores above grade 8 (FKGL or SMOG) — the content rule's hard ceiling.
 */
import fs from 'node:fs';
import path from 'node:path';
import { contentDir, FALLBACK_LANGUAGE, scorePack } from '../content/content-packs';
import { handoutPackSchema } from '../content/content-schema';
import type { Readability } from '../content/content-schema';

const MAX_GRADE = 8;
const HANDOUT_FILE = /^itdd-pump-handout\.[a-z]{2,3}\.json$/;

/** A placeholder so that a pack whose scores are missing or stale still passes the schema before it is scored. */
const UNSCORED: Readability = {
  formula: 'fkgl-smog',
  overall: { fkgl: 0, smog: 0, words: 0, sentences: 0 },
  sections: {},
  notices: {},
};

function rescore(file: string): Readability {
  const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  const pack = handoutPackSchema.parse({ ...raw, readability: UNSCORED });
  const readability = scorePack(pack);
  fs.writeFileSync(file, `${JSON.stringify({ ...raw, readability }, null, 2)}\n`);
  return readability;
}

function sectionsOverLimit(readability: Readability): string[] {
  return Object.entries(readability.sections)
    .filter(([, s]) => (s.fkgl ?? 0) > MAX_GRADE || (s.smog ?? 0) > MAX_GRADE)
    .map(([id, s]) => `${id} (FKGL ${s.fkgl}, SMOG ${s.smog})`);
}

function main(): void {
  const dir = path.join(contentDir(), 'handout');
  for (const name of fs.readdirSync(dir).filter((n) => HANDOUT_FILE.test(n)).sort()) {
    const readability = rescore(path.join(dir, name));
    const { fkgl, smog, fernandezHuerta, szigrisztPazos, words } = readability.overall;
    const scores = readability.formula === 'fernandez-huerta-inflesz' ? `Fernández-Huerta ${fernandezHuerta}, Szigriszt-Pazos ${szigrisztPazos}` : `FKGL ${fkgl}, SMOG ${smog}`;
    process.stdout.write(`${name}: ${scores}, ${words} words (${readability.formula})\n`);
    const over = name.includes(`.${FALLBACK_LANGUAGE}.`) ? sectionsOverLimit(readability) : [];
    if (over.length > 0) {
      console.error(`${name}: above grade ${MAX_GRADE}: ${over.join(', ')}`);
      process.exitCode = 1;
    }
  }
}

main();
