/**
 * The chart's own words for the handout (pure): the pump's drug and model for the write-in lines, and each patient
 * flag's findings in plain words ("apixaban", never its strength — doses do not reach patient text).
 */
import type { PatientContext } from '../chart/patient-context';
import type { FlagEvidence, TailoringFlag } from '../tailoring/types';
import type { TailoringFlagId } from '../content/content-schema';

/** Words of a pump device (the tailoring rules' `implantedPump` device words); an insulin pump is not one. */
const PUMP_DEVICE = /\b(synchromed|prometra|intrathecal)\b/i;
const INSULIN = /\binsulin\b/i;
const ENDED = new Set(['stopped', 'completed', 'entered-in-error', 'cancelled', 'not-taken']);

/**
 * The pump's drug and model as the chart records them, for the handout's write-in lines: the drug of an active
 * intrathecal order, the model of an implanted intrathecal pump. Undefined when the chart does not say.
 */
export function pumpFactsOf(context: PatientContext): { drug?: string; model?: string } {
  const device = context.devices.find(
    (d) => d.status !== 'inactive' && d.status !== 'entered-in-error' && PUMP_DEVICE.test(`${d.display} ${d.manufacturer ?? ''}`) && !INSULIN.test(d.display),
  );
  const order = context.medications.find(
    (m) => !ENDED.has(m.status) && m.status !== 'draft' && [m.route ?? '', ...m.routeCodings.map((c) => c.display ?? ''), ...m.dosages.map((d) => d.route ?? '')].some((r) => /intrathecal/i.test(r)),
  );
  const model = device === undefined ? undefined : [device.display, device.modelNumber === undefined ? undefined : `(${device.modelNumber})`].filter(Boolean).join(' ');
  const drug = order === undefined ? undefined : plainName(order.display);
  return { ...(drug === undefined ? {} : { drug }), ...(model === undefined ? {} : { model }) };
}

/**
 * A chart finding in the plain words a patient reads: a drug's name without its strength or dose form ("apixaban"
 * from "apixaban 5 MG Oral Tablet" — doses never reach patient text), a status or criticality in brackets left off,
 * a result as its name and value.
 */
export function plainName(display: string): string {
  const noBrackets = display.replace(/\s*\([^)]*\)\s*$/u, '').trim();
  if (/:\s*[\d.]+/.test(noBrackets)) {
    const [name = '', value = ''] = noBrackets.split(':');
    const short = /a1c/i.test(name) ? 'HbA1c' : name.replace(/\s*\[.*?\]/g, '').trim();
    return `${short} ${value.replace(/\s+on\s+\d{4}-\d{2}-\d{2}.*$/u, '').trim()}`;
  }
  const tokens = noBrackets.split(/\s+/);
  const start = tokens.findIndex((t) => !/\d/.test(t) && !/^(hr|h)$/i.test(t));
  const words: string[] = [];
  for (const token of tokens.slice(Math.max(start, 0))) {
    if (/\d/.test(token) || /^(oral|tablet|capsule|injection|solution|extended|release|delayed|patch|transdermal|system|chewable|enteric|coated|prefilled|syringe|ml|mg)$/i.test(token)) {
      break;
    }
    words.push(token);
  }
  return words.length > 0 ? words.join(' ') : noBrackets;
}

/** The plain names of the chart findings behind each patient flag, by the handout flag it raises. */
export function evidenceByHandoutFlag(flags: ReadonlyArray<Pick<TailoringFlag, 'handoutFlag'> & { evidence: readonly FlagEvidence[] }>): Partial<Record<TailoringFlagId, string[]>> {
  const byFlag: Partial<Record<TailoringFlagId, string[]>> = {};
  for (const flag of flags) {
    if (flag.handoutFlag !== undefined) {
      byFlag[flag.handoutFlag] = [...(byFlag[flag.handoutFlag] ?? []), ...flag.evidence.map((e) => plainName(e.display))];
    }
  }
  return byFlag;
}
