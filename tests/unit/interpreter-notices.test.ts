import fs from 'node:fs';
import path from 'node:path';
import { contentDir, interpreterNoticeFor, loadInterpreterNotices } from '../../server/content/content-packs';
import { REQUIRED_NOTICE_LANGUAGES, interpreterNoticesSchema } from '../../server/content/interpreter-notices-schema';
import { fleschKincaidFromStats, textStats } from '../../server/content/readability';

/**
 * The language-help notices printed on the handout in the patient's preferred language (Section 1557): one for each
 * of the 15 most common non-English languages in the US, each citing the HHS sample taglines as the reference for
 * what it must say, each carrying its own translation review, validated when loaded like every content pack.
 */
const file = path.join(contentDir(), 'handout', 'interpreter-notices.json');
const raw = (): Record<string, any> => JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, any>;
const notices = loadInterpreterNotices();

describe('the notices file', () => {
  test('has a notice for each of the 15 most common non-English languages in the US', () => {
    expect([...REQUIRED_NOTICE_LANGUAGES]).toEqual(['es', 'zh', 'tl', 'vi', 'ar', 'fr', 'ko', 'ru', 'ht', 'de', 'hi', 'pt', 'it', 'pl', 'ja']);
    const languages = notices.notices.map((n) => n.language);
    expect(languages).toEqual(expect.arrayContaining([...REQUIRED_NOTICE_LANGUAGES]));
    expect(new Set(languages).size).toBe(languages.length);
  });

  test('every notice cites the HHS Section 1557 sample taglines, whose citation has its address', () => {
    const taglines = notices.citations.find((c) => c.id === 'hhs-1557-taglines');
    expect(taglines?.text).toMatch(/Office for Civil Rights.*taglines.*Section 1557/i);
    expect(taglines?.url).toBe('https://www.hhs.gov/civil-rights/for-individuals/section-1557/translated-resources/index.html');
    for (const notice of notices.notices) {
      expect(`${notice.language}: ${notice.sources.join(',')}`).toContain('hhs-1557-taglines');
    }
  });

  test('every translation needs a qualified translator\'s review until one signs it off', () => {
    for (const notice of notices.notices) {
      expect(`${notice.language}: ${notice.review.status}`).toBe(`${notice.language}: needs-translator-review`);
      expect(notice.review.reviewedBy).toBeNull();
      expect(notice.review.note).toMatch(/qualified .*translator/i);
    }
  });

  test('each notice is in its own script, Arabic set right to left, and none is the English text', () => {
    const script: Record<string, RegExp> = { ar: /^[\u0600-\u06FF\s.,،]+$/, zh: /[\u4E00-\u9FFF]/, 'zh-Hant': /[\u4E00-\u9FFF]/, ja: /[\u3040-\u30FF]/, ko: /[\uAC00-\uD7AF]/, hi: /[\u0900-\u097F]/, ru: /[\u0400-\u04FF]/ };
    for (const notice of notices.notices) {
      expect(`${notice.language}: ${notice.dir}`).toBe(`${notice.language}: ${notice.language === 'ar' ? 'rtl' : 'ltr'}`);
      expect(notice.text).not.toBe(notices.english);
      const pattern = script[notice.language];
      if (pattern !== undefined) {
        expect(`${notice.language}: ${pattern.test(notice.text)}`).toBe(`${notice.language}: true`);
      }
    }
  });

  test('the English text says what the taglines require (free help, an interpreter, how to ask) in plain words', () => {
    expect(notices.english).toMatch(/free/i);
    expect(notices.english).toMatch(/interpreter/i);
    expect(notices.english).toMatch(/To ask for an interpreter, tell anyone on your care team/);
    expect(fleschKincaidFromStats(textStats([notices.english]))).toBeLessThanOrEqual(6);
  });
});

describe('validation at load', () => {
  const valid = (mutate: (file: Record<string, any>) => void): boolean => {
    const copy = raw();
    mutate(copy);
    return interpreterNoticesSchema.safeParse(copy).success;
  };

  test('the shipped file is valid, and a language left out, given twice, or citing nothing is refused', () => {
    expect(valid(() => undefined)).toBe(true);
    expect(valid((f) => (f.notices = f.notices.filter((n: { language: string }) => n.language !== 'ht')))).toBe(false);
    expect(valid((f) => f.notices.push({ ...f.notices[0] }))).toBe(false);
    expect(valid((f) => (f.notices[0].sources = ['nowhere']))).toBe(false);
  });

  test('a notice marked approved must name its translator and the review date', () => {
    expect(valid((f) => (f.notices[0].review = { ...f.notices[0].review, status: 'translator-approved' }))).toBe(false);
    expect(valid((f) => (f.notices[0].review = { status: 'translator-approved', reviewedBy: 'A. Translator, CMI', reviewedAt: '2027-01-15', note: 'Checked against the English text.' }))).toBe(true);
  });
});

describe('the notice for a patient\'s language', () => {
  test.each([
    ['ar', 'ar'],
    ['es-MX', 'es'],
    ['zh', 'zh'],
    ['zh-CN', 'zh'],
    ['zh-Hans', 'zh'],
    ['zh-TW', 'zh-Hant'],
    ['zh-Hant-HK', 'zh-Hant'],
    ['ht', 'ht'],
  ])('%s gets the %s notice', (tag, language) => {
    expect(interpreterNoticeFor(tag)?.language).toBe(language);
  });

  test.each([['en'], ['en-US'], [undefined], [''], ['Spanish'], ['sw']])('%p gets none', (tag) => {
    expect(interpreterNoticeFor(tag)).toBeUndefined();
  });
});
