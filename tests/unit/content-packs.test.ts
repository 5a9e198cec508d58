import fs from 'node:fs';
import { isAppError } from '../../server/errors';
import { checklistSchema } from '../../server/content/checklist-schema';
import type { Checklist, ChecklistItem } from '../../server/content/checklist-schema';
import {
  blockSegments,
  choosePackLanguage,
  handoutPackPath,
  listHandoutPacks,
  loadChecklist,
  loadHandoutPack,
  loadSeedFacts,
  patientTexts,
  pickPackForLanguage,
  scorePack,
} from '../../server/content/content-packs';
import { handoutPackSchema, INDICATIONS, PROCEDURES, TAILORING_FLAG_IDS, UNCHECKED_AREA_FLAG_IDS } from '../../server/content/content-schema';
import { appliesToScenario } from '../../server/content/scenario';
import type { Block, HandoutPack } from '../../server/content/content-schema';
import type { HandoutPackSummary } from '../../server/content/content-packs';
import { fleschKincaidGrade, smogGrade } from '../../server/content/readability';

const en = loadHandoutPack('en');
const es = loadHandoutPack('es');
const checklist = loadChecklist('en');
const seedFacts = loadSeedFacts();
const packs: ReadonlyArray<readonly [string, HandoutPack]> = [
  ['en', en],
  ['es', es],
];

const allBlocks = (pack: HandoutPack): Block[] => pack.sections.flatMap((s) => s.blocks);
const alwaysPrinted = (pack: HandoutPack): Block[] => allBlocks(pack).filter((b) => b.tailoring === null);
const rawPack = (language: string): Record<string, unknown> =>
  JSON.parse(fs.readFileSync(handoutPackPath(language), 'utf8')) as Record<string, unknown>;
/** What a translation must keep: the number of list items, the ids of fill-in fields. */
const partsOf = (block: Block): unknown => {
  switch (block.type) {
    case 'list':
      return block.items.length;
    case 'fill-in':
      return block.fields.map((f) => f.id);
    case 'diagram':
      return Object.keys(block.parts);
    case 'paragraph':
    case 'citation-list':
      return null;
  }
};
/** Every indication × procedure the handout can be printed for. */
const scenarios = INDICATIONS.flatMap((indication) => PROCEDURES.map((procedure) => ({ indication, procedure })));
/** The AppError code `run` throws, or undefined when it throws something else or nothing. */
const errorCodeOf = (run: () => unknown): string | undefined => {
  try {
    run();
  } catch (error) {
    return isAppError(error) ? error.code : undefined;
  }
  return undefined;
};
const itemById = (id: string): ChecklistItem => {
  const item = checklist.items.find((i) => i.id === id);
  if (!item) {
    throw new Error(`checklist item ${id} missing`);
  }
  return item;
};

/** A number followed by a dose unit or a hold time ("5 mg", "24 hours", "3-5 days", "7 d", "12 horas", "5 días"). */
const DOSE_OR_HOLD_TIME =
  /\b\d+(?:[.,]\d+)?\s*(?:(?:-|–|to|a)\s*\d+(?:[.,]\d+)?\s*)?(?:mg|mcg|µg|micrograms?|milligrams?|ml|hours?|hrs?|h|days?|d|horas?|días?)\b/i;

describe('seed facts', () => {
  it('list every benefit, risk, reference and the advice of the seed page', () => {
    const byKind = (kind: string): number => seedFacts.filter((f) => f.kind === kind).length;
    expect(byKind('benefit')).toBe(7);
    expect(byKind('risk')).toBe(9); // 7 listed risks (leak and cord injury apart) + the loss-of-relief consequence
    expect(byKind('advice')).toBe(1);
    expect(seedFacts.filter((f) => f.kind === 'reference').map((f) => f.seedReference)).toEqual([1, 2, 3, 4, 5]);
  });
});

describe.each(packs)('handout pack "%s"', (language, pack) => {
  it('passes the schema as stored on disk and declares its language', () => {
    expect(handoutPackSchema.safeParse(rawPack(language)).success).toBe(true);
    expect(pack.language).toBe(language);
    expect(pack.id).toBe('itdd-pump-handout');
  });

  it.each(scenarios)('covers every seed fact in an untailored block printed for $indication / $procedure', (scenario) => {
    const covered = new Set(alwaysPrinted(pack).filter((b) => appliesToScenario(b.appliesTo, scenario)).flatMap((b) => b.seedFacts));
    expect(seedFacts.map((f) => f.id).filter((id) => !covered.has(id))).toEqual([]);
  });

  it('has no trial step for a pump replacement, and a trial for a first implant', () => {
    const printedFor = (procedure: (typeof PROCEDURES)[number]): Block[] =>
      alwaysPrinted(pack).filter((b) => appliesToScenario(b.appliesTo, { indication: 'spasticity', procedure }));
    expect(printedFor('replacement').map((b) => b.id)).not.toEqual(expect.arrayContaining(['trial-what']));
    expect(printedFor('replacement').some((b) => b.id.startsWith('trial-'))).toBe(false);
    expect(printedFor('first-implant').map((b) => b.id)).toEqual(expect.arrayContaining(['trial-what', 'trial-how']));
  });

  it('uses only seed-fact ids that exist', () => {
    const known = new Set(seedFacts.map((f) => f.id));
    expect(allBlocks(pack).flatMap((b) => b.seedFacts).filter((id) => !known.has(id))).toEqual([]);
  });

  it('gives every block at least one source, and every source is a citation of the pack', () => {
    const citationIds = new Set(pack.citations.map((c) => c.id));
    for (const block of allBlocks(pack)) {
      expect(block.sources.length).toBeGreaterThan(0);
      expect(block.sources.filter((id) => !citationIds.has(id))).toEqual([]);
    }
    expect(pack.notices.flatMap((n) => n.sources).filter((id) => !citationIds.has(id))).toEqual([]);
  });

  it('cites all five seed references in full in the printed reference list', () => {
    const references = pack.citations.filter((c) => c.kind === 'reference');
    expect(references.map((c) => c.seedReference).sort()).toEqual([1, 2, 3, 4, 5]);
    const expected = [
      ['Onofrio BM, Yaksh TL', 'J Neurosurg', '1990', '72', '200-209'],
      ['Winkelmüller M, Winkelmüller W', 'J Neurosurg', '1996', '85', '458-467'],
      ['Paice JA, Penn RD, Shott S', 'J Pain Symptom Manage', '1996', '11(2)', '71-80'],
      ['Lamer TJ', 'Mayo Clin Proc', '1994', '69', '473-480'],
      ['Portenoy RK', 'Ann Acad Med', '1994', '23', '160-170'],
    ];
    expected.forEach((parts, index) => {
      const entry = references.find((c) => c.seedReference === index + 1);
      for (const part of parts) {
        expect(entry?.text).toContain(part);
      }
    });
    const printed = allBlocks(pack).flatMap((b) => (b.type === 'citation-list' && b.tailoring === null ? b.citationIds : []));
    expect(printed).toEqual(expect.arrayContaining(references.map((c) => c.id)));
    // Every source a printed block rests on is in the printed list.
    expect(printed).toEqual(expect.arrayContaining([...new Set(allBlocks(pack).flatMap((b) => b.sources))]));
  });

  it('prints no citation that is a placeholder: each names a journal issue, a DOI or PMID, a URL or a product document', () => {
    const printed = new Set(allBlocks(pack).flatMap((b) => (b.type === 'citation-list' ? b.citationIds : [])));
    const incomplete = pack.citations
      .filter((c) => printed.has(c.id))
      .filter((c) => !/\d{4};\s?\d+|doi|PMC\d|PMID/i.test(c.text) && c.url === undefined && !['manufacturer', 'regulation', 'drug-label', 'seed'].includes(c.kind));
    expect(incomplete.map((c) => c.id)).toEqual([]);
    expect(pack.citations.map((c) => c.text).filter((t) => /to be added|book chapter/i.test(t))).toEqual([]);
  });

  it('says nothing about doses or hold times in text the patient can see', () => {
    expect(patientTexts(pack).filter((t) => DOSE_OR_HOLD_TIME.test(t))).toEqual([]);
  });

  it('keeps dose and hold-time figures out of the clinician notes too', () => {
    const notes = allBlocks(pack).flatMap((b) => b.clinicianNote ?? []);
    expect(notes.length).toBeGreaterThan(0);
    expect(notes.filter((t) => DOSE_OR_HOLD_TIME.test(t))).toEqual([]);
  });

  it('tailors only with the flag ids the engine raises, and has patient text for each of them', () => {
    // (every flag id, including the scenario flags, has a tailored block)
    const used = allBlocks(pack).flatMap((b) => b.tailoring ?? []);
    expect(used.filter((id) => !(TAILORING_FLAG_IDS as readonly string[]).includes(id))).toEqual([]);
    expect(new Set(used)).toEqual(new Set(TAILORING_FLAG_IDS));
  });

  it('has the interpreter-needed notice and the notice that parts of the record could not be read', () => {
    expect(pack.notices.map((n) => n.id)).toEqual(['interpreter-needed', 'chart-not-read']);
  });

  it('stores the readability scores of its current text', () => {
    expect(pack.readability).toEqual(scorePack(pack));
  });
});

describe('English handout readability', () => {
  it.each(en.sections.map((s) => [s.id, s.blocks] as const))(
    'section "%s" reads at grade 6 or below by FKGL and 7 or below by SMOG',
    (_id, blocks) => {
      const segments = blocks.flatMap(blockSegments).map((t) => t.replace(/\{evidence\}/g, 'insulin'));
      expect(fleschKincaidGrade(segments)).toBeLessThanOrEqual(6);
      expect(smogGrade(segments)).toBeLessThanOrEqual(7);
    },
  );

  it('reads at grade 8 or below in the interpreter notice, and near the grade-6 aim overall', () => {
    for (const notice of en.notices) {
      expect(fleschKincaidGrade(notice.text)).toBeLessThanOrEqual(8);
      expect(smogGrade(notice.text)).toBeLessThanOrEqual(8);
    }
    expect(en.readability.overall.fkgl).toBeLessThanOrEqual(6);
    expect(en.readability.overall.smog).toBeLessThanOrEqual(7);
    expect(en.readability.formula).toBe('fkgl-smog');
  });
});

describe('Spanish handout', () => {
  it('is a draft awaiting a qualified medical translator, scored with Spanish formulas', () => {
    expect(es.review.status).toBe('draft');
    expect(es.review.note).toMatch(/qualified medical translator/);
    expect(es.readability.formula).toBe('fernandez-huerta-inflesz');
    expect(es.readability.overall.fkgl).toBeUndefined();
    // INFLESZ "fairly easy" (Szigriszt-Pazos 65 or more) in every section.
    for (const [id, scores] of Object.entries(es.readability.sections)) {
      expect([id, scores.szigrisztPazos! >= 65]).toEqual([id, true]);
      expect([id, scores.fernandezHuerta! >= 70]).toEqual([id, true]);
    }
  });

  it('has the same sections, blocks, sources, seed facts and tailoring as the English pack', () => {
    const shape = (pack: HandoutPack): unknown =>
      pack.sections.map((s) => ({
        id: s.id,
        blocks: s.blocks.map((b) => ({
          id: b.id,
          type: b.type,
          style: b.style,
          hasLabel: b.label !== undefined,
          sources: b.sources,
          seedFacts: b.seedFacts,
          tailoring: b.tailoring,
          parts: partsOf(b),
        })),
      }));
    expect(shape(es)).toEqual(shape(en));
    expect(es.citations.map((c) => c.id)).toEqual(en.citations.map((c) => c.id));
  });

  it('is written in Spanish, not left in English', () => {
    const english = new Set(patientTexts(en));
    const untranslated = patientTexts(es).filter((t) => english.has(t) && !es.citations.some((c) => c.text === t));
    expect(untranslated).toEqual([]);
  });
});

describe('handout schema', () => {
  it('rejects a block citing a source the pack does not list', () => {
    const raw = rawPack('en') as { sections: { blocks: { sources: string[] }[] }[] };
    raw.sections[0].blocks[0].sources = ['no-such-source'];
    const result = handoutPackSchema.safeParse(raw);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.message)).toContain('unknown citation id "no-such-source"');
  });

  it('rejects a tailoring flag the engine does not raise, and an approval without a reviewer', () => {
    const flagged = rawPack('en') as { sections: { blocks: { tailoring?: string }[] }[] };
    flagged.sections[0].blocks[0].tailoring = 'made-up-flag';
    expect(handoutPackSchema.safeParse(flagged).success).toBe(false);
    const approved = { ...rawPack('en'), review: { status: 'approved', reviewedBy: null, reviewedAt: null, note: 'x' } };
    expect(handoutPackSchema.safeParse(approved).success).toBe(false);
  });
});

describe('choosing and loading packs', () => {
  it('lists the English and Spanish packs', () => {
    expect(listHandoutPacks().map((p) => [p.language, p.id, p.reviewStatus])).toEqual([
      ['en', 'itdd-pump-handout', 'draft'],
      ['es', 'itdd-pump-handout', 'draft'],
    ]);
  });

  it.each([
    ['es-MX', 'es', false],
    ['ES', 'es', false],
    ['es_US', 'es', false],
    ['en-US', 'en', false],
    ['vi', 'en', true],
    ['zh-Hant-TW', 'en', true],
    ['Spanish', 'en', true],
    ['', 'en', false],
    [undefined, 'en', false],
  ])('gives %p the %s pack (interpreter needed: %p)', (tag, language, interpreterNeeded) => {
    const choice = pickPackForLanguage(tag);
    expect(choice.pack.language).toBe(language);
    expect(choice.interpreterNeeded).toBe(interpreterNeeded);
  });

  const summary = (language: string, reviewStatus: 'draft' | 'approved'): HandoutPackSummary => ({
    id: 'itdd-pump-handout',
    version: '1.0.0',
    language,
    title: 't',
    reviewStatus,
  });

  it('in production skips a draft translation and prints the approved English pack with the interpreter notice', () => {
    const offered = [summary('en', 'approved'), summary('es', 'draft')];
    expect(choosePackLanguage(offered, 'es-MX', { approvedOnly: true })).toEqual({ language: 'en', interpreterNeeded: true });
    expect(choosePackLanguage(offered, 'es-MX')).toEqual({ language: 'es', interpreterNeeded: false });
    expect(choosePackLanguage(offered, 'en-GB', { approvedOnly: true })).toEqual({ language: 'en', interpreterNeeded: false });
  });

  it('in production refuses to print when not even the English pack is approved', () => {
    const drafts = [summary('en', 'draft'), summary('es', 'approved')];
    expect(errorCodeOf(() => choosePackLanguage(drafts, 'es', { approvedOnly: true }))).toBe('unprocessable');
  });

  it('hands out packs that cannot be changed by one caller under another', () => {
    const pack = loadHandoutPack('en');
    expect(Object.isFrozen(pack.sections[0].blocks[0])).toBe(true);
    expect(loadHandoutPack('en-US')).toBe(pack);
  });

  it('refuses a value that is not a language tag, so it never reaches the file system', () => {
    expect(errorCodeOf(() => loadHandoutPack('../../etc/passwd'))).toBe('bad_request');
    expect(pickPackForLanguage('../../etc/passwd')).toMatchObject({ pack: { language: 'en' }, interpreterNeeded: true });
  });

  it('reports a language without a pack as not found', () => {
    expect(errorCodeOf(() => loadHandoutPack('fr'))).toBe('not_found');
  });
});

describe('consent-discussion checklist', () => {
  it('passes its schema and says it is not the legal consent form', () => {
    expect(checklistSchema.safeParse(JSON.parse(JSON.stringify(checklist))).success).toBe(true);
    expect(checklist.statement).toMatch(/not the legal consent form/i);
  });

  it('has a confirm item for every seed benefit and risk', () => {
    const covered = new Set(checklist.items.flatMap((i) => i.seedFacts));
    const needed = seedFacts.filter((f) => f.kind === 'benefit' || f.kind === 'risk').map((f) => f.id);
    expect(needed.filter((id) => !covered.has(id))).toEqual([]);
  });

  it('requires the CMS elements of a properly executed consent discussion', () => {
    for (const id of [
      'facility-name',
      'procedure-name',
      'responsible-practitioner',
      'others-performing',
      'benefits-risks-alternatives-explained',
      'alternatives',
      'declining',
      'questions-answered',
    ]) {
      expect(itemById(id).required).toBe(true);
    }
    expect(itemById('others-performing-details').requiredWhen).toEqual({ item: 'others-performing', anyOf: ['yes'] });
  });

  it('requires a coded teach-back result', () => {
    const teachBack = itemById('teach-back');
    expect(teachBack).toMatchObject({ kind: 'choice', required: true });
    expect(teachBack.options?.map((o) => o.code)).toEqual(
      expect.arrayContaining(['understood', 'understood-after-re-explaining', 'not-understood']),
    );
  });

  it('records the preferred language and, when one was used, the interpreter and how they took part', () => {
    expect(itemById('preferred-language').required).toBe(true);
    expect(itemById('interpreter-used').options?.map((o) => o.code)).toContain('used');
    expect(itemById('interpreter-id')).toMatchObject({ kind: 'text', requiredWhen: { item: 'interpreter-used' } });
    const modality = itemById('interpreter-modality');
    expect(modality.requiredWhen).toEqual({ item: 'interpreter-used', anyOf: ['used'] });
    expect(modality.options?.map((o) => o.code)).toEqual(['in-person', 'video', 'phone']);
  });

  it('has the app fill in the handout given, and requires the attestation with its date and time', () => {
    for (const id of ['handout-title', 'handout-version', 'handout-language']) {
      expect(itemById(id)).toMatchObject({ filledBy: 'app', required: true });
    }
    expect(itemById('attestation')).toMatchObject({ kind: 'confirm', required: true });
    expect(itemById('attestation-datetime')).toMatchObject({ kind: 'datetime', required: true });
  });

  it('tailors items only with known flags, one or more for each flag and for each unchecked chart area', () => {
    const flags = checklist.items.flatMap((i) => i.appliesWhen ?? []);
    expect(new Set(flags)).toEqual(new Set([...TAILORING_FLAG_IDS, ...UNCHECKED_AREA_FLAG_IDS]));
  });

  it('says nothing about doses or hold times', () => {
    expect(checklist.items.map((i) => i.text).filter((t) => DOSE_OR_HOLD_TIME.test(t))).toEqual([]);
  });

  it('rejects a choice item without options and a trigger naming an unknown answer', () => {
    const broken = (change: (c: Checklist) => void): boolean => {
      const copy = JSON.parse(JSON.stringify(checklist)) as Checklist;
      change(copy);
      return checklistSchema.safeParse(copy).success;
    };
    expect(broken((c) => delete c.items.find((i) => i.id === 'teach-back')!.options)).toBe(false);
    expect(broken((c) => (c.items.find((i) => i.id === 'interpreter-id')!.requiredWhen!.anyOf = ['maybe']))).toBe(false);
  });
});
