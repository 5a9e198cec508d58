/**
 * The intrathecal pump procedures the gap report looks for: the verified CPT codes of the project's terminology
 * (`content/terminology/terminology-verified.json`, section `procedures`), by group. Only entries marked verified
 * count; a group with none (the trial, today: no trial code could be verified) is reported as not covered rather than
 * guessed. Refills and pump analysis (62367–62370, 95990/95991) are maintenance, not a decision that needs a consent
 * discussion, so they are not looked for.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { AppError } from '../errors';
import { projectRoot } from '../project-root';

/** What kind of pump procedure a code stands for, in the words of its CPT descriptor. */
export const PUMP_PROCEDURE_KINDS = {
  trialInjectionOrInfusion: 'trial',
  pumpImplantOrRemoval: 'pump implant or replacement',
  intrathecalCatheter: 'catheter implant, revision or repositioning',
} as const;
export type PumpGroup = keyof typeof PUMP_PROCEDURE_KINDS;
export type PumpProcedureKind = (typeof PUMP_PROCEDURE_KINDS)[PumpGroup];

export interface PumpCode {
  system: string;
  code: string;
  display: string;
  kind: PumpProcedureKind;
}

export interface PumpCodeSet {
  codes: readonly PumpCode[];
  /** Kinds with no verified code: the report cannot find them and says so. */
  notCovered: readonly PumpProcedureKind[];
  /** `system|code` → the code. */
  bySystemCode: ReadonlyMap<string, PumpCode>;
}

const entrySchema = z.looseObject({ system: z.string(), code: z.string().nullable(), display: z.string(), verified: z.boolean() });
const fileSchema = z.looseObject({ procedures: z.looseObject(Object.fromEntries(Object.keys(PUMP_PROCEDURE_KINDS).map((k) => [k, z.array(entrySchema)]))) });

export const TERMINOLOGY_FILE = path.join('content', 'terminology', 'terminology-verified.json');

/** Pure: the code set of a parsed terminology file's `procedures`. */
export function pumpCodesOf(procedures: Record<string, z.infer<typeof entrySchema>[]>): PumpCodeSet {
  const codes: PumpCode[] = [];
  const notCovered: PumpProcedureKind[] = [];
  for (const [group, kind] of Object.entries(PUMP_PROCEDURE_KINDS) as [PumpGroup, PumpProcedureKind][]) {
    const verified = (procedures[group] ?? []).filter((e) => e.verified && e.code !== null);
    if (verified.length === 0) {
      notCovered.push(kind);
    }
    codes.push(...verified.map((e) => ({ system: e.system, code: e.code as string, display: e.display, kind })));
  }
  return { codes, notCovered, bySystemCode: new Map(codes.map((c) => [`${c.system}|${c.code}`, c])) };
}

let cached: PumpCodeSet | undefined;

/** Reads the verified terminology once per process. */
export function loadPumpCodes(): PumpCodeSet {
  if (cached === undefined) {
    const parsed = fileSchema.safeParse(JSON.parse(fs.readFileSync(path.join(projectRoot(), TERMINOLOGY_FILE), 'utf8')));
    if (!parsed.success) {
      throw new AppError('internal', 'The verified terminology file has no usable procedures section.', { cause: parsed.error });
    }
    cached = pumpCodesOf(parsed.data.procedures);
  }
  return cached;
}
