/**
 * The verified codes the tailoring rules match on, read from `content/tailoring/terminology-subset.json` (generated
 * by `scripts/extract-terminology.mjs` from the project's terminology research) and indexed for lookup.
 *
 * Matching follows the research's guidance ("Matching guidance for the app"): RxNorm product (SCD/SBD) codes first,
 * ingredient codes where the chart carries them, ICD-10-CM compared by dot-less prefix, SNOMED by listed code only.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { normaliseCode } from '../chart/chart-codings';
import { AppError } from '../errors';
import { projectRoot } from '../project-root';

const entrySchema = z.looseObject({
  system: z.string(),
  code: z.string(),
  display: z.string(),
  tty: z.string().optional(),
  ingredient: z.string().optional(),
  verified: z.literal(true),
});

const mmeFactorSchema = z.looseObject({
  opioid: z.string(),
  rxnormIngredient: z.string(),
  factor: z.number().positive(),
  unit: z.enum(['mg/day', 'mcg/hr']),
  verified: z.literal(true),
});

export const terminologySubsetSchema = z.looseObject({
  medicationClasses: z.record(z.string(), z.array(entrySchema)),
  conditions: z.record(z.string(), z.looseObject({ prefixes: z.array(z.string()).min(1), codes: z.array(entrySchema) })),
  procedures: z.record(z.string(), z.array(entrySchema)),
  mme: z.looseObject({
    '2022': z.looseObject({ title: z.string(), sources: z.array(z.string()), factors: z.array(mmeFactorSchema).min(1) }),
  }),
});

export type TerminologySubset = z.infer<typeof terminologySubsetSchema>;

export interface MedicationClassIndex {
  /** Every verified RxNorm code of the class: ingredients, products and packs. */
  codes: ReadonlySet<string>;
  /** Ingredient (IN) codes by lower-case ingredient name, for `Medication.ingredient` codes and product entries. */
  ingredientCodes: ReadonlyMap<string, string>;
  /** The ingredient of each product code (lower-case name), e.g. `891893 → morphine`. */
  ingredientOfProduct: ReadonlyMap<string, string>;
  /** Ingredient names for the last-resort text match on medications that carry no RxNorm code at all. */
  names: readonly string[];
}

export interface ConditionGroupIndex {
  /** ICD-10-CM prefixes, normalised (upper case, no dot). */
  icd10Prefixes: readonly string[];
  /** Listed ICD-10-CM codes outside the prefixes (e.g. N39.0 among the sepsis prefixes), normalised. */
  icd10Codes: ReadonlySet<string>;
  snomedCodes: ReadonlySet<string>;
}

export interface MmeFactor {
  opioid: string;
  rxnormIngredient: string;
  factor: number;
  unit: 'mg/day' | 'mcg/hr';
}

export interface Terminology {
  medicationClasses: ReadonlyMap<string, MedicationClassIndex>;
  conditions: ReadonlyMap<string, ConditionGroupIndex>;
  procedures: ReadonlyMap<string, ReadonlySet<string>>;
  mme: { title: string; factors: readonly MmeFactor[] };
}

const SUBSET_FILE = path.join('content', 'tailoring', 'terminology-subset.json');
let cached: Terminology | undefined;

/** Reads, validates and indexes the terminology subset once per process. */
export function loadTerminology(): Terminology {
  if (cached === undefined) {
    const file = path.join(projectRoot(), SUBSET_FILE);
    const parsed = terminologySubsetSchema.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
    if (!parsed.success) {
      throw new AppError('internal', 'The tailoring terminology file is invalid.', { cause: parsed.error });
    }
    cached = indexTerminology(parsed.data);
  }
  return cached;
}

/** Pure: the lookup structures for one subset. */
export function indexTerminology(subset: TerminologySubset): Terminology {
  return {
    medicationClasses: new Map(Object.entries(subset.medicationClasses).map(([name, entries]) => [name, indexClass(entries)])),
    conditions: new Map(Object.entries(subset.conditions).map(([name, group]) => [name, indexConditionGroup(group)])),
    procedures: new Map(Object.entries(subset.procedures).map(([name, entries]) => [name, new Set(entries.map((e) => e.code))])),
    mme: { title: subset.mme['2022'].title, factors: subset.mme['2022'].factors },
  };
}

type Entry = z.infer<typeof entrySchema>;

function indexClass(entries: readonly Entry[]): MedicationClassIndex {
  const ingredientCodes = new Map(entries.filter((e) => e.tty === 'IN').map((e) => [e.display.toLowerCase(), e.code]));
  const ingredientOfProduct = new Map(
    entries.filter((e) => e.tty !== 'IN' && e.ingredient !== undefined).map((e) => [e.code, (e.ingredient ?? '').toLowerCase()]),
  );
  const productIngredients = [...ingredientOfProduct.values()].flatMap((ingredient) => ingredient.split(' + '));
  return {
    codes: new Set(entries.map((e) => e.code)),
    ingredientCodes,
    ingredientOfProduct,
    names: [...new Set([...ingredientCodes.keys(), ...productIngredients])].sort(),
  };
}

function indexConditionGroup(group: { prefixes: string[]; codes: Entry[] }): ConditionGroupIndex {
  const icd10Prefixes = group.prefixes.map((prefix) => normaliseCode(prefix, 'icd-10-cm'));
  const icd10 = group.codes.filter((e) => e.system === 'http://hl7.org/fhir/sid/icd-10-cm').map((e) => normaliseCode(e.code, 'icd-10-cm'));
  return {
    icd10Prefixes,
    icd10Codes: new Set(icd10.filter((code) => !icd10Prefixes.some((prefix) => code.startsWith(prefix)))),
    snomedCodes: new Set(group.codes.filter((e) => e.system === 'http://snomed.info/sct').map((e) => e.code)),
  };
}
