import type { Bundle, FhirResource, Medication, MedicationRequest, MedicationStatement } from 'fhir/r4';
import { codingsOf, conceptDisplay, type CodingFact } from './chart-codings';
import { chartEntries, referenceTo, type EntryFilter } from './chart-entries';
import { cleanText, fhirDateTime, finiteNumber, isRecord, listOf, recordOf, SHORT_MAX } from '../clean-text';
import type { FhirOutcome } from './fhir-http';
import { isAbsoluteUrl, parseRelativeReference } from './fhir-url';
import type { IngredientStrength, MedicationFact, MedicationResolution, StructuredDosage } from './patient-context';

/**
 * Medication orders and statements. Which drug it is can sit in three places: an inline CodeableConcept, a
 * `contained` Medication (`#id`), or a Medication resource the search returned through `_include`. An absolute
 * reference to another server is never fetched (the token is for this FHIR base only) and an unresolvable one
 * never crashes the read (security research §6 F7).
 */

type MedicationBundle = FhirOutcome<Bundle<MedicationRequest | MedicationStatement | Medication>>;
type MedicationIndex = ReadonlyMap<string, Medication>;

const UNKNOWN_MEDICATION = 'unknown medication';
const FOREIGN_MEDICATION = 'medication on another server';
const PERIOD_UNITS = new Set(['s', 'min', 'h', 'd', 'wk', 'mo', 'a']);

export function mapMedications(requests: MedicationBundle, statements: MedicationBundle, filter: EntryFilter): MedicationFact[] {
  const requestIndex = indexIncluded(requests);
  const statementIndex = indexIncluded(statements);
  const fromRequests = chartEntries(requests as FhirOutcome<Bundle<FhirResource>>, 'MedicationRequest', filter)
    .filter((request) => request.status !== 'entered-in-error')
    .map((request) => mapRequest(request, requestIndex));
  const fromStatements = chartEntries(statements as FhirOutcome<Bundle<FhirResource>>, 'MedicationStatement', filter)
    .filter((statement) => statement.status !== 'entered-in-error')
    .map((statement) => mapStatement(statement, statementIndex));
  return [...fromRequests, ...fromStatements];
}

function mapRequest(request: MedicationRequest, index: MedicationIndex): MedicationFact {
  return {
    reference: referenceTo(request),
    source: 'MedicationRequest',
    status: cleanText(request.status, SHORT_MAX) ?? 'unknown',
    ...identify(request, index),
    ...dosagesOf(request.dosageInstruction),
    authoredOn: fhirDateTime(request.authoredOn),
  };
}

function mapStatement(statement: MedicationStatement, index: MedicationIndex): MedicationFact {
  return {
    reference: referenceTo(statement),
    source: 'MedicationStatement',
    status: cleanText(statement.status, SHORT_MAX) ?? 'unknown',
    ...identify(statement, index),
    ...dosagesOf(statement.dosage),
    effective:
      fhirDateTime(statement.effectiveDateTime) ?? fhirDateTime(recordOf(statement.effectivePeriod).start) ?? fhirDateTime(statement.dateAsserted),
  };
}

/** `_include`d Medications by `Medication/<id>` and by their absolute `fullUrl`. */
function indexIncluded(outcome: MedicationBundle): MedicationIndex {
  const index = new Map<string, Medication>();
  const entries = outcome.kind === 'ok' ? listOf(outcome.value.entry, Number.MAX_SAFE_INTEGER) : [];
  for (const entry of entries.filter(isRecord)) {
    const resource = recordOf(entry.resource);
    if (resource.resourceType === 'Medication' && typeof resource.id === 'string') {
      index.set(`Medication/${resource.id}`, resource as unknown as Medication);
      if (typeof entry.fullUrl === 'string') {
        index.set(entry.fullUrl, resource as unknown as Medication);
      }
    }
  }
  return index;
}

interface MedicationIdentity {
  display: string;
  codings: CodingFact[];
  ingredientCodings: CodingFact[];
  ingredientStrengths?: IngredientStrength[];
  resolution: MedicationResolution;
}

function identify(resource: MedicationRequest | MedicationStatement, index: MedicationIndex): MedicationIdentity {
  if (isRecord(resource.medicationCodeableConcept)) {
    const concept = resource.medicationCodeableConcept;
    return { display: conceptDisplay(concept) ?? UNKNOWN_MEDICATION, codings: codingsOf(concept), ingredientCodings: [], resolution: 'inline' };
  }
  const reference = recordOf(resource.medicationReference);
  const target = typeof reference.reference === 'string' ? reference.reference : '';
  const fallback = cleanText(reference.display);
  if (target.startsWith('#')) {
    const contained = listOf(resource.contained, 50)
      .filter(isRecord)
      .find((candidate) => candidate.resourceType === 'Medication' && candidate.id === target.slice(1));
    return fromMedication(contained as Medication | undefined, 'contained', fallback);
  }
  const relative = parseRelativeReference(target);
  if (relative?.type === 'Medication') {
    return fromMedication(index.get(`Medication/${relative.id}`), 'included', fallback);
  }
  if (isAbsoluteUrl(target)) {
    const included = index.get(target);
    return included
      ? fromMedication(included, 'included', fallback)
      : { display: fallback ?? FOREIGN_MEDICATION, codings: [], ingredientCodings: [], resolution: 'foreign' };
  }
  return fromMedication(undefined, 'unresolved', fallback);
}

function fromMedication(medication: Medication | undefined, resolution: MedicationResolution, fallback: string | undefined): MedicationIdentity {
  if (medication === undefined) {
    return { display: fallback ?? UNKNOWN_MEDICATION, codings: [], ingredientCodings: [], resolution: 'unresolved' };
  }
  return {
    display: conceptDisplay(medication.code) ?? fallback ?? UNKNOWN_MEDICATION,
    codings: codingsOf(medication.code),
    ingredientCodings: listOf(medication.ingredient, 20).flatMap((ingredient) => codingsOf(recordOf(ingredient).itemCodeableConcept)),
    ingredientStrengths: listOf(medication.ingredient, 20)
      .map(strengthOf)
      .filter((strength): strength is IngredientStrength => strength !== undefined),
    resolution,
  };
}

/** A quantity with a finite, non-negative value (https://hl7.org/fhir/R4/datatypes.html#Quantity); else undefined. */
function quantityOf(value: unknown): { value: number; unit?: string } | undefined {
  const quantity = recordOf(value);
  const number = finiteNumber(quantity.value);
  return number !== undefined && number >= 0
    ? { value: number, unit: cleanText(quantity.unit, SHORT_MAX) ?? cleanText(quantity.code, SHORT_MAX) }
    : undefined;
}

/** `Medication.ingredient[].strength` (a Ratio); undefined when it has no usable numerator. */
function strengthOf(value: unknown): IngredientStrength | undefined {
  const ingredient = recordOf(value);
  const strength = recordOf(ingredient.strength);
  const numerator = quantityOf(strength.numerator);
  if (numerator === undefined) {
    return undefined;
  }
  const denominator = quantityOf(strength.denominator);
  const concept = ingredient.itemCodeableConcept;
  return { codings: codingsOf(concept), display: conceptDisplay(concept), numerator, ...(denominator && { denominator }) };
}

function dosagesOf(value: unknown): Pick<MedicationFact, 'dosages' | 'route' | 'routeCodings'> {
  const raw = listOf(value, 10);
  const dosages = raw.map(dosageOf);
  return { dosages, route: dosages[0]?.route, routeCodings: codingsOf(recordOf(raw[0]).route) };
}

function positive(value: unknown): number | undefined {
  const number = finiteNumber(value);
  return number !== undefined && number > 0 ? number : undefined;
}

/** One Dosage (https://hl7.org/fhir/R4/dosage.html): the first `doseQuantity` and the `timing.repeat` rhythm. */
function dosageOf(value: unknown): StructuredDosage {
  const dosage = recordOf(value);
  const repeat = recordOf(recordOf(dosage.timing).repeat);
  const quantity = listOf(dosage.doseAndRate, 5)
    .map((doseAndRate) => recordOf(recordOf(doseAndRate).doseQuantity))
    .find((candidate) => (finiteNumber(candidate.value) ?? -1) >= 0);
  return {
    text: cleanText(dosage.text),
    dose: quantity && { value: quantity.value as number, unit: cleanText(quantity.unit, SHORT_MAX) ?? cleanText(quantity.code, SHORT_MAX) },
    frequency: positive(repeat.frequency),
    frequencyMax: positive(repeat.frequencyMax),
    period: positive(repeat.period),
    periodMax: positive(repeat.periodMax),
    periodUnit: typeof repeat.periodUnit === 'string' && PERIOD_UNITS.has(repeat.periodUnit) ? repeat.periodUnit : undefined,
    asNeeded: dosage.asNeededBoolean === true || isRecord(dosage.asNeededCodeableConcept),
    route: conceptDisplay(dosage.route),
    rate: listOf(dosage.doseAndRate, 5)
      .map((doseAndRate) => quantityOf(recordOf(doseAndRate).rateQuantity))
      .find((rate) => rate !== undefined),
  };
}
