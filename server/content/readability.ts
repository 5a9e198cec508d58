/**
 * Readability scores for patient text: Flesch-Kincaid Grade Level (FKGL) and SMOG.
 *
 * Why two formulas: the health-literacy literature asks for more than one, and they fail differently — FKGL
 * rewards short sentences, SMOG punishes long words (research/peers-and-clinical-facts.md §2.3). Our target is
 * grade 6 or below, and never above grade 8 for any section.
 *
 * Text comes in segments. A segment is a paragraph, a list item or a form label; each segment ends a sentence even
 * without a full stop, because a printed list item is read as one unit (this is how PEMAT and most readability
 * tools treat bulleted text).
 *
 * Formulas:
 * - FKGL = 0.39 × (words / sentences) + 11.8 × (syllables / words) − 15.59
 *   (Kincaid, Fishburne, Rogers & Chissom, 1975, Naval Technical Training Command report 8-75).
 * - SMOG = 1.043 × √(polysyllables × 30 / sentences) + 3.1291, polysyllables = words of 3 or more syllables
 *   (McLaughlin, "SMOG grading: a new readability formula", J Reading 1969;12(8):639-646; the 30-sentence
 *   normalisation lets it score texts shorter than 30 sentences).
 *
 * Library or our own (decision, checked against tests/unit/readability.test.ts, the oracle):
 * - Syllables: OUR OWN (syllables.ts), not `syllable`@5.0.1 (words/syllable). On the oracle's 62 words (its
 *   dictionary list and the words of its worked examples) ours gives 62 right, `syllable` 57: it counts "blocked"
 *   2 (1), "spasms" 1 (2), "diabetes" 3 (4), "anesthesia" 3 (5) and "911" 0 (3, read as digits). Over the 979
 *   distinct words of the English handout the two differ on 34, mostly common words where `syllable` is wrong
 *   ("masses" 1, "fluid" 1, "going" 1, "else" 2, "charge" 2, "deer" 2, "checked" 2, "professional" 5); a
 *   wrong syllable on a common word moves the score the patient sees. Scores with `syllable` instead of ours
 *   (English pack): overall FKGL 2.7 vs 2.8, SMOG 6.5 vs 6.6; section "teach-back" FKGL −0.1 vs 0.5, SMOG 3.1 vs
 *   5.1; "warning-signs" SMOG 4.5 vs 5.1 — `syllable` would report most sections easier than they are. Ours
 *   is not perfect either: of those 34 words `syllable` is right on "any", "trying", "headaches",
 *   "anticoagulant", "etiology", "anesthesiology", "polyanalgesic", "bibliographic" and "pubmed", which belong in
 *   our exception list (a change of the stored scores, so it goes with a content rescore, not here).
 * - FKGL and SMOG formulas: `flesch-kincaid`@2.0.1 and `smog-formula`@2.0.1 (words/*, maintained with `syllable`).
 *   They compute exactly the oracle's expressions (same constants, same order of operations: −1.4499999999999993,
 *   2.3114285714285714, 7.168621630094336 and 8.841846274778883 on its cases, bit for bit). They answer NaN where a
 *   count is zero; the oracle scores empty text 0 (nothing hard to read), so that guard stays here.
 */
import { fleschKincaid } from 'flesch-kincaid';
import { smogFormula } from 'smog-formula';
import { countSyllables } from './syllables';

export { countSyllables } from './syllables';

export interface TextStats {
  readonly words: number;
  readonly sentences: number;
  readonly syllables: number;
  /** Words of three or more syllables (SMOG's count). */
  readonly polysyllables: number;
}

/** Text to score: one string, or several segments that each end a sentence (list items, labels). */
export type ScoredText = string | readonly string[];

/** A word: letters or digits, joined by inner apostrophes or hyphens ("don't", "follow-up"), or a number ("1.5"). */
const WORD = /[\p{L}\p{N}]+(?:(?:['’-]|(?<=\p{N})[.,](?=\p{N}))[\p{L}\p{N}]+)*/gu;

/** A sentence ends at . ! or ? (runs of them count once) followed by a space, a closing mark or the end. */
const SENTENCE_END = /[.!?]+(?=[\s"'”’)\]]|$)/g;

function sentencesInSegment(segment: string, wordCount: number): number {
  if (wordCount === 0) {
    return 0;
  }
  const ends = segment.match(SENTENCE_END)?.length ?? 0;
  const trailing = segment.trim().replace(/["'”’)\]]+$/u, '');
  const closedByPunctuation = /[.!?]$/.test(trailing);
  return closedByPunctuation ? ends : ends + 1;
}

function wordSyllables(word: string): number {
  // A hyphenated word is one word for the formulas, spoken as its parts ("follow-up" = fol-low-up).
  return word.split(/[-]/).reduce((total, part) => total + countSyllables(part), 0);
}

function segmentStats(segment: string): TextStats {
  const words = segment.match(WORD) ?? [];
  const syllableCounts = words.map(wordSyllables);
  return {
    words: words.length,
    sentences: sentencesInSegment(segment, words.length),
    syllables: syllableCounts.reduce((a, b) => a + b, 0),
    polysyllables: syllableCounts.filter((count) => count >= 3).length,
  };
}

function asSegments(text: ScoredText): readonly string[] {
  return typeof text === 'string' ? [text] : text;
}

/** Counts words, sentences, syllables and polysyllables over the segments. */
export function textStats(text: ScoredText): TextStats {
  return asSegments(text)
    .map(segmentStats)
    .reduce<TextStats>(
      (sum, s) => ({
        words: sum.words + s.words,
        sentences: sum.sentences + s.sentences,
        syllables: sum.syllables + s.syllables,
        polysyllables: sum.polysyllables + s.polysyllables,
      }),
      { words: 0, sentences: 0, syllables: 0, polysyllables: 0 },
    );
}

/** FKGL from counts. Empty text scores 0 (there is nothing hard to read). */
export function fleschKincaidFromStats(stats: TextStats): number {
  if (stats.words === 0 || stats.sentences === 0) {
    return 0;
  }
  return fleschKincaid({ sentence: stats.sentences, word: stats.words, syllable: stats.syllables });
}

/** SMOG from counts. Empty text scores 0. */
export function smogFromStats(stats: TextStats): number {
  if (stats.sentences === 0) {
    return 0;
  }
  return smogFormula({ sentence: stats.sentences, polysillabicWord: stats.polysyllables });
}

/** Flesch-Kincaid Grade Level of the text. */
export function fleschKincaidGrade(text: ScoredText): number {
  return fleschKincaidFromStats(textStats(text));
}

/** SMOG grade of the text, normalised to 30 sentences. */
export function smogGrade(text: ScoredText): number {
  return smogFromStats(textStats(text));
}
