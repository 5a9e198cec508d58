/**
 * Loading, validating, choosing and scoring the content packs in `content/`.
 *
 * Packs are read once and kept: they are static data shipped with the app. A pack that fails its schema is a
 * deployment error, reported as an `internal` AppError naming the file (never served half-valid).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { ZodType } from 'zod';
import { canonicalJson } from '../audit/audit-record';
import { AppError, badRequest, notFound, unprocessable } from '../errors';
import { projectRoot } from '../project-root';
import { checklistSchema } from './checklist-schema';
import type { Checklist } from './checklist-schema';
import { handoutPackSchema, seedFactsSchema } from './content-schema';
import { interpreterNoticesSchema } from './interpreter-notices-schema';
import type { InterpreterNotice, InterpreterNotices } from './interpreter-notices-schema';
import type { Block, HandoutPack, Readability, ReadabilityScores, Review, SeedFact } from './content-schema';
import { fleschKincaidFromStats, smogFromStats, textStats } from './readability';
import { fernandezHuertaFromStats, spanishStats, szigrisztPazosFromStats } from './readability-es';

/** The language every deployment has, and the fallback when the patient's language has no pack. */
export const FALLBACK_LANGUAGE = 'en';

const HANDOUT_FILE = /^itdd-pump-handout\.([a-z]{2,3})\.json$/;

export interface HandoutPackSummary {
  readonly id: string;
  readonly version: string;
  readonly language: string;
  readonly title: string;
  readonly reviewStatus: Review['status'];
  /** A draft because its file changed after a reviewer approved it (`ContentApprovals.handoutChoices`). */
  readonly changedSinceApproval?: boolean;
}

export interface PackChoice {
  readonly pack: HandoutPack;
  /** True when the patient's language has no pack: print the English pack with the interpreter notice. */
  readonly interpreterNeeded: boolean;
}

let contentRoot: string | undefined;

/** Where the content packs are read from: `CONTENT_DIR` (config), else the `content/` folder shipped with the app. */
export function contentDir(): string {
  return contentRoot ?? path.join(projectRoot(), 'content');
}

/**
 * Reads the packs from `dir` from now on (undefined: the shipped `content/`), forgetting every pack read before (so
 * the files are read, and hashed, afresh): boot sets it from `CONTENT_DIR`, and a site keeps its reviewed packs
 * outside the image that way.
 */
export function useContentDir(dir: string | undefined): void {
  contentRoot = dir === undefined || dir === '' ? undefined : path.resolve(dir);
  cache.clear();
}

/**
 * A pack file's identity for approval and the archive: the SHA-256 of its canonical JSON (RFC 8785), so a change of
 * any word, number or flag — not of indentation — is a different version in the reviewer's eyes.
 */
export interface ContentFile {
  /** RFC 8785 canonical JSON of the file as written (before schema defaults): what the archive keeps. */
  readonly canonical: string;
  readonly sha256: string;
}

export function contentFileOf(raw: unknown): ContentFile {
  const canonical = canonicalJson(raw);
  return { canonical, sha256: crypto.createHash('sha256').update(canonical).digest('hex') };
}

/** The file each loaded pack object was parsed from (the packs are frozen and cached, so the object is its key). */
const filesOfPacks = new WeakMap<object, ContentFile>();

/** The content hash of a pack this module loaded, or undefined for one made in memory. */
export function contentHashOfPack(pack: object): string | undefined {
  return filesOfPacks.get(pack)?.sha256;
}

/** The content hash of a pack this module loaded (or parsed from the archive with `parseArchivedHandout`). */
export function contentFileOfPack(pack: object): ContentFile {
  const file = filesOfPacks.get(pack);
  if (file === undefined) {
    throw new AppError('internal', 'This content pack was not loaded from a content file.');
  }
  return file;
}

export function handoutPackPath(language: string): string {
  return path.join(contentDir(), 'handout', `itdd-pump-handout.${language}.json`);
}

/**
 * The primary subtag of a BCP 47 tag, lower case ("es-MX" → "es", "EN_us" → "en"); undefined when the value is not
 * a language tag at all (e.g. free text "Spanish" from a chart is not guessed at).
 */
export function primaryLanguageSubtag(tag: string): string | undefined {
  const primary = tag.trim().split(/[-_]/)[0]?.toLowerCase() ?? '';
  return /^[a-z]{2,3}$/.test(primary) ? primary : undefined;
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') {
      throw notFound(`Content file ${path.basename(file)} does not exist.`, { cause });
    }
    throw new AppError('internal', `Content file ${path.basename(file)} cannot be read.`, { cause });
  }
}

function parseRaw<T>(schema: ZodType<T>, raw: unknown, name: string): T {
  const result = schema.safeParse(raw);
  if (!result.success) {
    const issues = result.error.issues.slice(0, 10).map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new AppError('internal', `Content file ${name} is not valid.`, { details: { issues } });
  }
  if (typeof result.data === 'object' && result.data !== null) {
    filesOfPacks.set(deepFreeze(result.data), contentFileOf(raw));
  }
  return result.data;
}

function parseContent<T>(schema: ZodType<T>, file: string): T {
  return parseRaw(schema, readJson(file), path.basename(file));
}

/** A handout pack as the archive keeps it (its canonical JSON), parsed as a loaded one is, once per content. */
export function parseArchivedHandout(canonical: string): HandoutPack {
  const raw = JSON.parse(canonical) as unknown;
  return cached(`archived-handout:${contentFileOf(raw).sha256}`, () => parseRaw(handoutPackSchema, raw, 'from the archive'));
}

const cache = new Map<string, unknown>();

/** Freezes parsed content so that no caller can change a pack another request is about to print. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}

function cached<T>(key: string, load: () => T): T {
  if (!cache.has(key)) {
    cache.set(key, deepFreeze(load()));
  }
  return cache.get(key) as T;
}

function requireLanguage(language: string): string {
  const primary = primaryLanguageSubtag(language);
  if (primary === undefined) {
    throw badRequest('That is not a language tag.', { hint: 'Use a BCP 47 tag such as "en" or "es-MX".' });
  }
  return primary;
}

/** The handout pack written in `language` (a BCP 47 tag; only its primary subtag counts). */
export function loadHandoutPack(language: string): HandoutPack {
  const primary = requireLanguage(language);
  return cached(`handout:${primary}`, () => {
    const file = handoutPackPath(primary);
    const pack = parseContent(handoutPackSchema, file);
    if (pack.language !== primary) {
      throw new AppError('internal', `Content file ${path.basename(file)} declares language "${pack.language}".`);
    }
    return pack;
  });
}

/** Every handout pack shipped, by language. */
export function listHandoutPacks(): readonly HandoutPackSummary[] {
  return cached('handout-list', () => {
    const files = fs.readdirSync(path.join(contentDir(), 'handout'));
    const languages = files.flatMap((file) => HANDOUT_FILE.exec(file)?.[1] ?? []).sort();
    return languages.map((language) => {
      const pack = loadHandoutPack(language);
      return { id: pack.id, version: pack.version, language, title: pack.title, reviewStatus: pack.review.status };
    });
  });
}

/** The consent-discussion checklist in `language` (clinician-facing; English is the one shipped). */
export function loadChecklist(language: string): Checklist {
  const primary = requireLanguage(language);
  const file = path.join(contentDir(), 'checklist', `itdd-consent-checklist.${primary}.json`);
  return cached(`checklist:${primary}`, () => parseContent(checklistSchema, file));
}

/** The benefits, risks, advice and references of the seed page that every handout must cover. */
export function loadSeedFacts(): SeedFact[] {
  const file = path.join(contentDir(), 'seed-facts.json');
  return cached('seed-facts', () => parseContent(seedFactsSchema, file));
}

/** The language-help notices, one per language (`content/handout/interpreter-notices.json`). */
export function loadInterpreterNotices(): InterpreterNotices {
  const file = path.join(contentDir(), 'handout', 'interpreter-notices.json');
  return cached('interpreter-notices', () => parseContent(interpreterNoticesSchema, file));
}

/** Chinese written in Traditional characters: the script named, or the regions where it is the usual one. */
const TRADITIONAL_CHINESE = /^zh(?:-hant|(?:-[a-z]{4})?-(?:tw|hk|mo))(?:-|$)/i;

/**
 * The language-help notice in the patient's preferred language (a BCP 47 tag): matched on the primary subtag, and
 * for Chinese on the script ("zh-TW" and "zh-Hant" read Traditional characters, other Chinese tags Simplified).
 * None for English, for a language without a notice, or for no language on record.
 */
export function interpreterNoticeFor(bcp47Code: string | undefined): InterpreterNotice | undefined {
  const requested = bcp47Code?.trim() ?? '';
  const primary = primaryLanguageSubtag(requested);
  if (primary === undefined || primary === FALLBACK_LANGUAGE) {
    return undefined;
  }
  const notices = loadInterpreterNotices().notices;
  const key = primary === 'zh' && TRADITIONAL_CHINESE.test(requested) ? 'zh-Hant' : primary;
  return notices.find((n) => n.language === key) ?? notices.find((n) => n.language === primary);
}

export interface PackChoiceOptions {
  /** Production: skip packs whose review status is not `approved` (ARCHITECTURE.md §4). */
  readonly approvedOnly?: boolean;
  /** The packs on offer with their review status (`ContentApprovals.handoutChoices`); default: every loaded pack. */
  readonly available?: readonly HandoutPackSummary[];
}

/**
 * Which language's pack to print, from the packs on offer (pure; `pickPackForLanguage` loads it). `es-MX` gets the
 * Spanish pack; a language with no (usable) pack gets English and `interpreterNeeded: true`, because a qualified
 * interpreter must then go through it (research §2.4, 45 CFR 92.201). No language on record gets English without
 * the notice — the checklist still asks for the preferred language.
 */
export function choosePackLanguage(
  available: readonly HandoutPackSummary[],
  bcp47Code: string | undefined,
  options: PackChoiceOptions = {},
): { language: string; interpreterNeeded: boolean } {
  const usable = new Set(
    available.filter((p) => !options.approvedOnly || p.reviewStatus === 'approved').map((p) => p.language),
  );
  if (!usable.has(FALLBACK_LANGUAGE)) {
    const changed = available.some((p) => p.language === FALLBACK_LANGUAGE && p.changedSinceApproval === true);
    throw unprocessable('No approved patient handout is available.', {
      hint: changed
        ? 'The English content pack changed after it was approved: a clinical reviewer must approve it again before it can be printed for patients.'
        : 'A clinical reviewer must approve the English content pack before it can be printed for patients.',
      details: { reason: changed ? 'pack_changed_since_approval' : 'pack_not_approved', language: FALLBACK_LANGUAGE },
    });
  }
  const requested = bcp47Code?.trim();
  const primary = requested ? primaryLanguageSubtag(requested) : undefined;
  if (primary !== undefined && usable.has(primary)) {
    return { language: primary, interpreterNeeded: false };
  }
  return { language: FALLBACK_LANGUAGE, interpreterNeeded: Boolean(requested) && primary !== FALLBACK_LANGUAGE };
}

/** The pack for the patient's language (see `choosePackLanguage`). */
export function pickPackForLanguage(bcp47Code: string | undefined, options: PackChoiceOptions = {}): PackChoice {
  const { language, interpreterNeeded } = choosePackLanguage(options.available ?? listHandoutPacks(), bcp47Code, options);
  return { pack: loadHandoutPack(language), interpreterNeeded };
}

/**
 * The running text of a block that readability is scored on: its lead-in label, then the paragraph, each list item
 * or each fill-in label as a segment. The bibliography is not prose and is not scored.
 */
export function blockSegments(block: Block): string[] {
  const label = block.label === undefined ? [] : [block.label];
  switch (block.type) {
    case 'paragraph':
      return [...label, block.text];
    case 'list':
      return [...label, ...block.items];
    case 'fill-in':
      return [...label, ...block.fields.map((f) => f.label)];
    case 'diagram':
      return [...label, block.text];
    case 'citation-list':
      return label;
  }
}

/** A tailored paragraph's `{evidence}` is scored as a short drug or condition name would read. */
const EVIDENCE_PLACEHOLDER = /\{evidence\}/g;

/** Every string of the pack that can be printed for the patient (never clinician notes). */
export function patientTexts(pack: HandoutPack): string[] {
  return [
    pack.title,
    ...pack.notices.map((n) => n.text),
    ...pack.titles.map((t) => t.text),
    ...pack.sections.flatMap((s) => [s.heading, ...s.blocks.flatMap(blockSegments)]),
    ...pack.citations.map((c) => c.text),
  ];
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

function scoreSegments(raw: readonly string[], language: string): ReadabilityScores {
  const segments = raw.map((segment) => segment.replace(EVIDENCE_PLACEHOLDER, language === 'es' ? 'insulina' : 'insulin'));
  const stats = textStats(segments);
  if (language === 'es') {
    const es = spanishStats(segments);
    return {
      fernandezHuerta: round1(fernandezHuertaFromStats(es)),
      szigrisztPazos: round1(szigrisztPazosFromStats(es)),
      words: stats.words,
      sentences: stats.sentences,
    };
  }
  const fkgl = round1(fleschKincaidFromStats(stats));
  return { fkgl, smog: round1(smogFromStats(stats)), words: stats.words, sentences: stats.sentences };
}

/**
 * Readability of each section (all its blocks, tailored ones included: the worst case the patient can get), each
 * notice, and the sections together. Headings are not sentences and are left out. English (and any language without
 * a formula of its own) is scored by FKGL and SMOG; Spanish by Fernández-Huerta and Szigriszt-Pazos (INFLESZ).
 * The bibliography is left out: it is not prose.
 */
export function scorePack(pack: Pick<HandoutPack, 'language' | 'sections' | 'notices'>): Readability {
  const sectionSegments = pack.sections.map((s) => [s.id, s.blocks.flatMap(blockSegments)] as const);
  const language = pack.language;
  return {
    formula: language === 'es' ? 'fernandez-huerta-inflesz' : 'fkgl-smog',
    overall: scoreSegments(sectionSegments.flatMap(([, segments]) => segments), language),
    sections: Object.fromEntries(sectionSegments.map(([id, segments]) => [id, scoreSegments(segments, language)])),
    notices: Object.fromEntries(pack.notices.map((n) => [n.id, scoreSegments([n.text], language)])),
  };
}

/** The three kinds of reviewed content a clinical reviewer approves (docs/compliance.md "How to approve content"). */
export const CONTENT_KINDS = ['handout', 'checklist', 'tailoring'] as const;
export type ContentKind = (typeof CONTENT_KINDS)[number];

/** One pack version as this app loaded it from its content folder. */
export interface LoadedContentVersion {
  readonly kind: ContentKind;
  readonly packId: string;
  /** The primary language subtag; '' for the tailoring rules, which have none. */
  readonly language: string;
  readonly version: string;
  readonly file: ContentFile;
}

const CHECKLIST_FILE = /^itdd-consent-checklist\.([a-z]{2,3})\.json$/;
const TAILORING_RULES_FILE = path.join('tailoring', 'rules.json');
const packIdentitySchema = z.object({ id: z.string().min(1).max(120), version: z.string().min(1).max(40) });

/** The tailoring rules file as written (its schema lives with the engine, in `server/tailoring/`), read once. */
export function loadTailoringRulesRaw(): unknown {
  return cached('tailoring-rules-raw', () => readJson(path.join(contentDir(), TAILORING_RULES_FILE)));
}

/** Every handout, checklist and tailoring-rules version in the content folder, with its content hash. */
export function loadedContentVersions(): LoadedContentVersion[] {
  const handouts = listHandoutPacks().map((summary): LoadedContentVersion => {
    const pack = loadHandoutPack(summary.language);
    return { kind: 'handout', packId: pack.id, language: pack.language, version: pack.version, file: contentFileOfPack(pack) };
  });
  const checklistLanguages = fs.readdirSync(path.join(contentDir(), 'checklist')).flatMap((f) => CHECKLIST_FILE.exec(f)?.[1] ?? []).sort();
  const checklists = checklistLanguages.map((language): LoadedContentVersion => {
    const checklist = loadChecklist(language);
    return { kind: 'checklist', packId: checklist.id, language, version: checklist.version, file: contentFileOfPack(checklist) };
  });
  const rawRules = loadTailoringRulesRaw();
  const rules = packIdentitySchema.safeParse(rawRules);
  if (!rules.success) {
    throw new AppError('internal', 'Content file rules.json has no id and version.');
  }
  const tailoring: LoadedContentVersion = { kind: 'tailoring', packId: rules.data.id, language: '', version: rules.data.version, file: contentFileOf(rawRules) };
  return [...handouts, ...checklists, tailoring];
}
