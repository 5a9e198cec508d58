import {
  countSyllables,
  fleschKincaidFromStats,
  fleschKincaidGrade,
  smogFromStats,
  smogGrade,
  textStats,
} from '../../server/content/readability';

describe('countSyllables', () => {
  // Expected counts are the syllable divisions shown in Merriam-Webster's dictionary entries.
  const dictionary: ReadonlyArray<readonly [string, number]> = [
    ['pump', 1],
    ['tube', 1],
    ['makes', 1],
    ['moved', 1],
    ['blocked', 1],
    ['table', 2],
    ['people', 2],
    ['doctor', 2],
    ['trial', 2],
    ['quiet', 2],
    ['patient', 2],
    ['wanted', 2],
    ['places', 2],
    ['doses', 2],
    ['safely', 2],
    ['careful', 2],
    ['being', 2],
    ['only', 2],
    ['question', 2],
    ['language', 2],
    ['spasms', 2],
    ['medicine', 3],
    ['catheter', 3],
    ['infection', 3],
    ['serious', 3],
    ['period', 3],
    ['usual', 3],
    ['battery', 3],
    ['batteries', 3],
    ['replacement', 3],
    ['easier', 3],
    ['baclofen', 3],
    ['operation', 4],
    ['emergency', 4],
    ['diabetes', 4],
    ['interpreter', 4],
    ['continuous', 4],
    ['anesthesia', 5],
    ['inflammatory', 5],
  ];

  it.each(dictionary)('counts "%s" as %i', (word, expected) => {
    expect(countSyllables(word)).toBe(expected);
  });

  it('ignores case and punctuation around the word', () => {
    expect(countSyllables('Medicine,')).toBe(3);
    expect(countSyllables("don't")).toBe(1);
  });

  it('reads a number digit by digit and gives nothing for a token without letters or digits', () => {
    expect(countSyllables('911')).toBe(3); // nine-one-one
    expect(countSyllables('—')).toBe(0);
  });
});

describe('textStats', () => {
  it('counts words, sentences, syllables and polysyllables of a worked example', () => {
    // "Call(1) your(1) care(1) team(1) right(1) away(2)." = 6 words, 7 syllables.
    // "The(1) pump(1) alarm(2) means(1) the(1) medicine(3) may(1) stop(1)." = 8 words, 11 syllables, 1 polysyllable.
    const stats = textStats('Call your care team right away. The pump alarm means the medicine may stop.');
    expect(stats).toEqual({ words: 14, sentences: 2, syllables: 18, polysyllables: 1 });
  });

  it('ends a sentence at each list item even without a full stop', () => {
    const stats = textStats(['have a lot less pain', 'need far less medicine', 'can do more each day.']);
    expect(stats.sentences).toBe(3);
    expect(stats.words).toBe(14); // 5 + 4 + 5
  });

  it('does not end a sentence inside a number, and counts runs of ?! once', () => {
    expect(textStats('The pump holds 1.5 units. Really?! Yes.').sentences).toBe(3);
    expect(textStats('The pump holds 1.5 units.').words).toBe(5);
  });

  it('counts a closing quote or bracket after the full stop as the same sentence end', () => {
    expect(textStats('He said "call now." Then he left (quickly.)').sentences).toBe(2);
  });

  it('treats a hyphenated word as one word spoken as its parts', () => {
    expect(textStats('a follow-up visit')).toEqual({ words: 3, sentences: 1, syllables: 6, polysyllables: 1 });
  });

  it('gives zero sentences for text with no words', () => {
    expect(textStats(['', '  ', '…'])).toEqual({ words: 0, sentences: 0, syllables: 0, polysyllables: 0 });
  });
});

describe('fleschKincaidGrade', () => {
  it('matches the formula worked by hand for a one-sentence text', () => {
    // "The cat sat on the mat." 6 words, 1 sentence, 6 syllables:
    // 0.39 × 6 + 11.8 × 1 − 15.59 = 2.34 + 11.8 − 15.59 = −1.45
    expect(fleschKincaidGrade('The cat sat on the mat.')).toBeCloseTo(-1.45, 10);
  });

  it('matches the formula worked by hand for a two-sentence text', () => {
    // 14 words, 2 sentences, 18 syllables (see textStats above):
    // 0.39 × 7 + 11.8 × 18/14 − 15.59 = 2.73 + 15.171428… − 15.59 = 2.311428…
    expect(fleschKincaidGrade('Call your care team right away. The pump alarm means the medicine may stop.')).toBeCloseTo(
      2.311428571,
      6,
    );
  });

  it('rises with longer sentences and longer words', () => {
    const plain = fleschKincaidGrade('Call us now. We can help.');
    const dense = fleschKincaidGrade('Immediately telephone your multidisciplinary interventional management team.');
    expect(dense).toBeGreaterThan(plain + 10);
  });

  it('scores empty text as 0', () => {
    expect(fleschKincaidGrade('')).toBe(0);
    expect(fleschKincaidFromStats({ words: 0, sentences: 0, syllables: 0, polysyllables: 0 })).toBe(0);
  });
});

describe('smogGrade', () => {
  it('matches the 30-sentence normalised formula worked by hand', () => {
    // 1 polysyllable ("medicine") in 2 sentences: 1.043 × √(1 × 30 / 2) + 3.1291 = 1.043 × 3.872983… + 3.1291
    // = 4.039521… + 3.1291 = 7.168621…
    expect(smogGrade('Call your care team right away. The pump alarm means the medicine may stop.')).toBeCloseTo(
      7.168621,
      5,
    );
  });

  it('gives 3.1291 (the constant) for text without polysyllables', () => {
    expect(smogGrade('The cat sat on the mat.')).toBeCloseTo(3.1291, 10);
  });

  it('for exactly 30 sentences reduces to 1.043 × √(polysyllables) + 3.1291, as in McLaughlin 1969', () => {
    // 30 sentences, each with one polysyllable: 1.043 × √30 + 3.1291 = 1.043 × 5.477226… + 3.1291 = 5.712746… + 3.1291 = 8.841846…
    const thirty = Array.from({ length: 30 }, () => 'Medicine helps.');
    expect(smogGrade(thirty)).toBeCloseTo(8.841846, 5);
    expect(smogFromStats({ words: 60, sentences: 30, syllables: 0, polysyllables: 30 })).toBeCloseTo(8.841846, 5);
  });

  it('scores empty text as 0', () => {
    expect(smogGrade([])).toBe(0);
  });
});
