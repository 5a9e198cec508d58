/**
 * Spanish readability: the Fernández-Huerta reading ease and the Szigriszt-Pazos perspicuity index with its
 * INFLESZ scale. English grade formulas (FKGL, SMOG) count English syllables and are calibrated on English readers,
 * so they misjudge Spanish text; research peers-and-clinical-facts §2.3 asks for a Spanish formula for Spanish packs.
 *
 *   Fernández-Huerta (1959):  L = 206.84 − 0.60·P − 1.02·F   (P = syllables per 100 words, F = sentences per 100 words)
 *   Szigriszt-Pazos (1993):   IFSZ = 206.835 − 62.3·(syllables / words) − (words / sentences)
 *
 * Both run 0–100, higher is easier. INFLESZ (Barrio-Cantalejo et al., 2008) reads the Szigriszt-Pazos score as:
 * < 40 very hard, 40–55 somewhat hard, 55–65 normal, 65–80 fairly easy, > 80 very easy. Patient material aims at
 * "fairly easy" (≥ 65), about the grade-6 aim of the English packs.
 *
 * Words and sentences are counted exactly as for English (`textStats`); syllables by Spanish rules: each vowel
 * nucleus is a syllable, a weak vowel (i, u, ü, y at the end of a word) next to another vowel forms a diphthong,
 * two strong vowels (a, e, o) or an accented weak vowel (í, ú) next to a vowel are a hiatus (two syllables).
 */
import type { ScoredText } from './readability';
import { textStats } from './readability';

const WORD = /[\p{L}\p{N}]+(?:['’-][\p{L}\p{N}]+)*/gu;
const VOWEL = /[aeiouáéíóúü]/;
const STRONG = /[aeoáéó]/;
const ACCENTED_WEAK = /[íú]/;

/** Syllables of one Spanish word (a number counts as one per digit, as the English counter does). */
export function countSpanishSyllables(word: string): number {
  const lower = word.toLowerCase().normalize('NFC');
  if (/^\p{N}+$/u.test(lower)) {
    return lower.length;
  }
  let count = 0;
  let previous = '';
  for (const ch of lower) {
    if (!VOWEL.test(ch)) {
      previous = '';
      continue;
    }
    const hiatus = previous !== '' && ((STRONG.test(previous) && STRONG.test(ch)) || ACCENTED_WEAK.test(previous) || ACCENTED_WEAK.test(ch));
    if (previous === '' || hiatus) {
      count += 1;
    }
    previous = ch;
  }
  return Math.max(count, /\p{L}/u.test(lower) ? 1 : 0);
}

export interface SpanishStats {
  words: number;
  sentences: number;
  syllables: number;
}

export function spanishStats(text: ScoredText): SpanishStats {
  const segments = typeof text === 'string' ? [text] : text;
  const { words, sentences } = textStats(segments);
  const syllables = segments
    .flatMap((segment) => segment.match(WORD) ?? [])
    .reduce((total, word) => total + word.split('-').reduce((sum, part) => sum + countSpanishSyllables(part), 0), 0);
  return { words, sentences, syllables };
}

/** Fernández-Huerta reading ease from counts; empty text scores 100 (nothing hard to read). */
export function fernandezHuertaFromStats(stats: SpanishStats): number {
  if (stats.words === 0 || stats.sentences === 0) {
    return 100;
  }
  return 206.84 - 0.6 * ((stats.syllables / stats.words) * 100) - 1.02 * ((stats.sentences / stats.words) * 100);
}

/** Szigriszt-Pazos perspicuity from counts; empty text scores 100. */
export function szigrisztPazosFromStats(stats: SpanishStats): number {
  if (stats.words === 0 || stats.sentences === 0) {
    return 100;
  }
  return 206.835 - 62.3 * (stats.syllables / stats.words) - stats.words / stats.sentences;
}

export function fernandezHuerta(text: ScoredText): number {
  return fernandezHuertaFromStats(spanishStats(text));
}

export function szigrisztPazos(text: ScoredText): number {
  return szigrisztPazosFromStats(spanishStats(text));
}

/** The INFLESZ band of a Szigriszt-Pazos score, in Spanish as the scale is published. */
export function inflesz(score: number): 'muy difícil' | 'algo difícil' | 'normal' | 'bastante fácil' | 'muy fácil' {
  if (score < 40) {
    return 'muy difícil';
  }
  if (score < 55) {
    return 'algo difícil';
  }
  if (score < 65) {
    return 'normal';
  }
  return score <= 80 ? 'bastante fácil' : 'muy fácil';
}
