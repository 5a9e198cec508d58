/**
 * The handout HTML a patient takes home: what tailoring shows and hides, the notices and marks, and that nothing
 * from the chart or the clinician can become markup, script or a URL the renderer would fetch.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Bundle } from 'fhir/r4';
import { buildPatientContext } from '../../server/chart/patient-context';
import { interpreterNoticeFor, loadHandoutPack } from '../../server/content/content-packs';
import type { Block, HandoutPack } from '../../server/content/content-schema';
import { servedHandout } from '../support/served-handout';
import { cssString } from '../../server/handout/handout-styles';
import { pdfOptions } from '../../server/handout/pdf-templates';
import type { HandoutRenderInput } from '../../server/handout/render-html';
import { HANDOUT_CSP, handoutFooterText, handoutHeaderText, renderHandoutCopyCss, renderHandoutHtml } from '../../server/handout/render-html';
import { formatFhirDate } from '../../server/handout/render-labels';
import { escapeHtml } from '../../server/http/html';
import { chartReadsFromBundle, launchContextFromBundle } from '../support/chart-reads-from-bundle';

const en = loadHandoutPack('en');
const es = loadHandoutPack('es');
const HOSTILE = '<img src=x onerror=alert(1)>';

function input(overrides: Partial<HandoutRenderInput> = {}): HandoutRenderInput {
  return {
    pack: en,
    activeFlags: [],
    patient: { name: 'Margaret Ann Ellison', birthDate: '1958-03-14' },
    clinicianName: 'Elena Rivera, MD',
    date: '2026-11-25',
    interpreterNeeded: false,
    largePrint: false,
    clinicianNotes: [],
    draft: false,
    ...overrides,
  };
}

function block(pack: HandoutPack, id: string): Block {
  const found = pack.sections.flatMap((s) => s.blocks).find((b) => b.id === id);
  if (!found) {
    throw new Error(`no block ${id}`);
  }
  return found;
}

function paragraphText(pack: HandoutPack, id: string): string {
  const found = block(pack, id);
  if (found.type !== 'paragraph') {
    throw new Error(`${id} is not a paragraph`);
  }
  // A tailored paragraph names the patient's own finding at {evidence}: compare the longest fixed part.
  const parts = found.text.split('{evidence}').sort((a, b) => b.length - a.length);
  return escapeHtml(parts[0] ?? '');
}

function sectionHeading(pack: HandoutPack, id: string): string {
  return escapeHtml(pack.sections.find((s) => s.id === id)!.heading);
}

describe('tailoring: which blocks and sections print', () => {
  test('a tailored block prints only when its flag is active', () => {
    const plain = renderHandoutHtml(input());
    const bleeding = renderHandoutHtml(input({ activeFlags: ['bleeding-risk'] }));
    expect(plain).not.toContain(paragraphText(en, 'bleeding-risk'));
    expect(bleeding).toContain(paragraphText(en, 'bleeding-risk'));
    expect(bleeding).not.toContain(paragraphText(en, 'infection-risk'));
    expect(bleeding).not.toContain(paragraphText(en, 'baclofen-withdrawal'));
  });

  test('a section whose blocks are all tailored away is not printed, heading included', () => {
    const heading = sectionHeading(en, 'risks-for-you');
    expect(renderHandoutHtml(input())).not.toContain(heading);
    expect(renderHandoutHtml(input({ activeFlags: ['infection-risk'] }))).toContain(heading);
  });

  test('untailored blocks always print, whatever the flags', () => {
    for (const flags of [[], ['cancer-pain', 'mri-caution']] as const) {
      const html = renderHandoutHtml(input({ activeFlags: [...flags] }));
      expect(html).toContain(paragraphText(en, 'risks-mass'));
      expect(html).toContain(sectionHeading(en, 'warning-signs'));
    }
  });

  test("a flag the clinician dismissed does not print; the patient's other flags still do", () => {
    const file = path.resolve(__dirname, '../../fhir-resources/patients/anticoagulant.json');
    const bundle = JSON.parse(fs.readFileSync(file, 'utf8')) as Bundle;
    const context = buildPatientContext(chartReadsFromBundle(bundle, launchContextFromBundle(bundle)!), new Date('2026-11-25T12:00:00Z'));
    const kept = renderHandoutHtml(servedHandout(context, { date: '2026-11-25' }));
    const dismissed = renderHandoutHtml(
      servedHandout(context, { date: '2026-11-25', dismissedFlags: ['antithrombotic-bleeding-risk'] }),
    );
    expect(kept).toContain(paragraphText(en, 'bleeding-risk'));
    expect(dismissed).not.toContain(paragraphText(en, 'bleeding-risk'));
    expect(dismissed).toContain(paragraphText(en, 'why-non-cancer-pain'));
  });

  test('notes meant for the clinician are never printed', () => {
    const all = renderHandoutHtml(input({ activeFlags: ['bleeding-risk', 'infection-risk', 'breathing-risk', 'cancer-pain', 'mri-caution'] }));
    const notes = en.sections.flatMap((s) => s.blocks).flatMap((b) => (b.clinicianNote === undefined ? [] : [b.clinicianNote]));
    expect(notes.length).toBeGreaterThan(0);
    for (const note of notes) {
      expect(all).not.toContain(escapeHtml(note));
    }
  });
});

describe('notices, marks and language', () => {
  test('the interpreter notice prints only when the patient needs an interpreter', () => {
    const notice = escapeHtml(en.notices.find((n) => n.id === 'interpreter-needed')!.text);
    expect(renderHandoutHtml(input({ interpreterNeeded: true }))).toContain(notice);
    expect(renderHandoutHtml(input())).not.toContain(notice);
  });

  test('the language-help notice prints in the patient\'s language with its lang, direction and review status', () => {
    const arabic = interpreterNoticeFor('ar')!;
    const page = renderHandoutHtml(input({ interpreterNeeded: true, languageNotice: arabic }));
    expect(page).toContain(`<p class="language-help" lang="ar" dir="rtl" data-notice="language-help" data-review-status="needs-translator-review">${escapeHtml(arabic.text)}</p>`);
    expect(page).toContain('Staff: the Arabic notice above has not yet been checked by a qualified translator.');
    // In the same box as the English notice, after it; the document itself stays English, left to right.
    expect(page.indexOf(escapeHtml(en.notices[0].text))).toBeLessThan(page.indexOf(escapeHtml(arabic.text)));
    expect(page).toMatch(/<html lang="en" dir="ltr"/);
    const spanish = renderHandoutHtml(input({ pack: es, languageNotice: interpreterNoticeFor('es-MX')! }));
    expect(spanish).toContain('lang="es" dir="ltr" data-notice="language-help"');
    expect(spanish).toContain('Personal: un traductor calificado aún no ha revisado el aviso en español de arriba.');
    expect(renderHandoutHtml(input())).not.toContain('data-notice="language-help"');
  });

  test('a notice a qualified translator signed off prints without the staff line', () => {
    const chinese = interpreterNoticeFor('zh')!;
    const approved = { ...chinese, review: { status: 'translator-approved' as const, reviewedBy: 'A. Translator, CHI', reviewedAt: '2027-01-15', note: 'Checked.' } };
    const page = renderHandoutHtml(input({ interpreterNeeded: true, languageNotice: approved }));
    expect(page).toContain('lang="zh" dir="ltr" data-notice="language-help" data-review-status="translator-approved"');
    expect(page).not.toContain('qualified translator');
  });

  test('a draft pack carries a visible DRAFT mark and says so in the page header', () => {
    const draft = renderHandoutHtml(input({ draft: true }));
    expect(draft).toContain('DRAFT: this handout has not been approved by a clinical reviewer.');
    expect(handoutHeaderText(input({ draft: true }))).toMatch(/^DRAFT · /);
    expect(renderHandoutHtml(input())).not.toContain('DRAFT');
    expect(renderHandoutHtml(input({ pack: es, draft: true }))).toContain('BORRADOR');
  });

  test('the document language follows the pack, and the dates are written in it', () => {
    const spanish = renderHandoutHtml(input({ pack: es }));
    expect(spanish).toMatch(/<html lang="es" dir="ltr"/);
    expect(spanish).toContain('25 de noviembre de 2026');
    expect(renderHandoutHtml(input())).toMatch(/<html lang="en"/);
  });

  test('large print switches the root class, whose body size is at least 16 pt', () => {
    const large = renderHandoutHtml(input({ largePrint: true }));
    expect(large).toMatch(/<html [^>]*class="large-print"/);
    const size = /:root\.large-print \{ --body: (\d+)pt/.exec(large)?.[1];
    expect(Number(size)).toBeGreaterThanOrEqual(16);
    expect(renderHandoutHtml(input())).toMatch(/<html [^>]*class="normal-print"/);
  });
});

describe('chart and clinician text is data, never markup', () => {
  test('a hostile name is escaped and a right-to-left name is isolated', () => {
    const hostile = renderHandoutHtml(input({ patient: { name: HOSTILE } }));
    expect(hostile).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(hostile).not.toContain('<img');
    const arabic = renderHandoutHtml(input({ patient: { name: 'فاطمة الزهراء' } }));
    expect(arabic).toContain('<bdi dir="auto" class="isolate">فاطمة الزهراء</bdi>');
  });

  test('clinician notes print in their own box, escaped, line breaks kept', () => {
    const html = renderHandoutHtml(input({ clinicianNotes: ['Stop apixaban 3 days before.\nCall us: <b>555</b>', '   '] }));
    expect(html).toContain('Notes from your care team');
    expect(html).toContain('<p dir="auto">Stop apixaban 3 days before.\nCall us: &lt;b&gt;555&lt;/b&gt;</p>');
    expect(html).not.toContain('<b>');
    expect(renderHandoutHtml(input())).not.toContain('Notes from your care team');
  });

  test('too many or too long clinician notes are refused, not cut', () => {
    expect(() => renderHandoutHtml(input({ clinicianNotes: Array.from({ length: 21 }, () => 'note') }))).toThrow(
      expect.objectContaining({ code: 'bad_request' }),
    );
    expect(() => renderHandoutHtml(input({ clinicianNotes: ['x'.repeat(2001)] }))).toThrow(expect.objectContaining({ code: 'bad_request' }));
  });

  test('the document loads nothing: inline style only, a CSP forbidding the rest, citation URLs as text', () => {
    const html = renderHandoutHtml(input({ patient: { name: `${HOSTILE}<link rel=stylesheet href=http://169.254.169.254/>` } }));
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="${escapeHtml(HANDOUT_CSP)}">`);
    expect(html).not.toMatch(/<(script|link|iframe|img|object|embed|base|image|use|foreignObject|a)\b/i);
    // The one diagram is inline SVG: shapes and text only, no namespace URL, nothing it could fetch.
    expect(html.match(/<svg\b/g)?.length ?? 0).toBeLessThanOrEqual(1);
    expect(html).not.toMatch(/xmlns|xlink/i);
    expect(html).not.toMatch(/<[a-z][^>]*\s(src|href|srcset|data|action)=/i);
    expect(/<style>([\s\S]*?)<\/style>/.exec(html)?.[1]).not.toMatch(/url\(|@import|image-set/i);
    expect(html).toContain('<span class="url">https://www.lioresal.com/hcp/dosing-and-administration/</span>');
  });

  test('the header in the page margins cannot break out of its CSS string', () => {
    const name = '"; } body { display: none } </style><script>alert(1)</script>';
    const html = renderHandoutHtml(input({ patient: { name } }));
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? '';
    expect(style).toContain(cssString(handoutHeaderText(input({ patient: { name } }))));
    expect(style).not.toMatch(/<|display: none/);
    expect(html.match(/<\/style>/g)).toHaveLength(1);
    expect(cssString('a"\\<\n')).toBe('"a\\000022 \\00005c \\00003c \\00000a "');
    // The space that ends an escape is consumed by it, so the text's own space after it is kept.
    expect(cssString('a · b')).toBe('"a \\0000b7  b"');
  });

  test("the app page's print copy stylesheet: print only, scoped to the copy, the same header as a CSS string", () => {
    const name = '"; } body { display: none } </style>';
    const css = renderHandoutCopyCss(input({ patient: { name } }));
    expect(css.startsWith('@media print {\n@scope (.handout-print) {')).toBe(true);
    expect(css).toContain(cssString(handoutHeaderText(input({ patient: { name } }))));
    expect(css).not.toMatch(/<|display: none|url\(|@import/);
    // Inside the scope nothing names the app's document: the copy's container stands for :root, html and body.
    const scoped = css.slice(css.indexOf('@scope'), css.indexOf('@page'));
    expect(scoped).not.toMatch(/:root|(^|[\s,}])(html|body)[\s,{]/);
    expect(scoped).toContain(':scope.large-print');
  });

  test('the PDF prints the running text from its own margin boxes: header, clinic, pack version, "Page x of y", escaped', () => {
    const hostile = input({ patient: { name: HOSTILE }, printTarget: 'pdf' });
    const style = /<style>([\s\S]*?)<\/style>/.exec(renderHandoutHtml(hostile))?.[1] ?? '';
    expect(style).toContain(`@top-left { content: ${cssString(handoutHeaderText(hostile))}; font-size: 9pt;`);
    expect(style).toContain(`@bottom-left { content: ${cssString(handoutFooterText(hostile.pack, hostile.clinic))};`);
    expect(style).not.toMatch(/<img|onerror=/);
    // The browser's print names the clinic; the PDF, filed to the chart, also names the pack and its version.
    expect(handoutFooterText(hostile.pack, hostile.clinic)).toContain(hostile.pack.version);
    const spanish = /<style>([\s\S]*?)<\/style>/.exec(renderHandoutHtml(input({ pack: es, printTarget: 'pdf', largePrint: true })))?.[1] ?? '';
    expect(spanish).toContain(`${cssString('Página ')} counter(page) ${cssString(' de ')} counter(pages); font-size: 12pt;`);
    // Chromium's own header and footer templates stay off: they would print the running text a second time.
    expect(pdfOptions(1000)).toMatchObject({ displayHeaderFooter: false, tagged: true, printBackground: true });
  });
});

describe('page header text', () => {
  test('name · born … · date · clinician, names bidi-isolated', () => {
    expect(handoutHeaderText(input())).toBe('\u2068Margaret Ann Ellison\u2069 · born March 14, 1958 · November 25, 2026 · \u2068Elena Rivera, MD\u2069');
    expect(handoutHeaderText(input({ pack: es }))).toBe(
      '\u2068Margaret Ann Ellison\u2069 · nacimiento: 14 de marzo de 1958 · 25 de noviembre de 2026 · \u2068Elena Rivera, MD\u2069',
    );
  });

  test('without a name it leaves a line to write one in; missing parts are left out', () => {
    expect(handoutHeaderText(input({ patient: {}, clinicianName: undefined }))).toBe('Name: ____________________ · November 25, 2026');
  });

  test('control characters are flattened and long names bounded', () => {
    const text = handoutHeaderText(input({ patient: { name: `Ann\u0000\nLee${'x'.repeat(500)}` }, clinicianName: undefined }));
    expect(text).toMatch(/^\u2068Ann Leex+…\u2069 · November 25, 2026$/);
    expect(text.length).toBeLessThan(260);
  });

  test('partial birth dates stay partial; a date that is not one is shown as recorded', () => {
    expect(formatFhirDate('1970', 'en')).toBe('1970');
    expect(formatFhirDate('1970-05', 'en')).toBe('May 1970');
    expect(formatFhirDate('1970-02-30', 'en')).toBe('1970-02-30');
  });

  test('the discussion date must be a real ISO date', () => {
    for (const date of ['25/11/2026', '2026-02-30', '']) {
      expect(() => handoutHeaderText(input({ date }))).toThrow(expect.objectContaining({ code: 'bad_request' }));
    }
  });
});
