import { cleanText, CODE_MAX, DISPLAY_MAX, listOf, recordOf, URI_MAX } from '../clean-text';

/**
 * Codings as received, plus what matching needs. EHRs name the same code system by URI or by OID (Epic often
 * sends `urn:oid:2.16.840.1.113883.6.90` for ICD-10-CM) and send ICD-10-CM with or without the dot (`G89.4` and
 * `G894`), so each coding also carries `knownSystem` and a `normalized` code (terminology research, "Matching
 * guidance" 2).
 */
export type KnownSystem = 'icd-10-cm' | 'snomed' | 'rxnorm' | 'loinc' | 'cpt' | 'ndc';

export interface CodingFact {
  system?: string;
  /** As received (cleaned and capped): ICD-10-CM keeps its dot here, for display. */
  code?: string;
  display?: string;
  knownSystem?: KnownSystem;
  /** The code for matching: ICD-10-CM upper-cased without the dot; other systems the code trimmed. */
  normalized?: string;
}

const KNOWN_SYSTEMS: Readonly<Record<string, KnownSystem>> = {
  'http://hl7.org/fhir/sid/icd-10-cm': 'icd-10-cm',
  'urn:oid:2.16.840.1.113883.6.90': 'icd-10-cm',
  'http://snomed.info/sct': 'snomed',
  'urn:oid:2.16.840.1.113883.6.96': 'snomed',
  'http://www.nlm.nih.gov/research/umls/rxnorm': 'rxnorm',
  'urn:oid:2.16.840.1.113883.6.88': 'rxnorm',
  'http://loinc.org': 'loinc',
  'urn:oid:2.16.840.1.113883.6.1': 'loinc',
  'http://www.ama-assn.org/go/cpt': 'cpt',
  'urn:oid:2.16.840.1.113883.6.12': 'cpt',
  'http://hl7.org/fhir/sid/ndc': 'ndc',
  'urn:oid:2.16.840.1.113883.6.69': 'ndc',
};

/** Codings per concept are bounded: a concept with thousands of codings is noise, not information. */
const MAX_CODINGS = 20;

export function normaliseCode(code: string, knownSystem: KnownSystem | undefined): string {
  return knownSystem === 'icd-10-cm' ? code.toUpperCase().replaceAll('.', '') : code;
}

export function codingOf(value: unknown): CodingFact | undefined {
  const raw = recordOf(value);
  const system = cleanText(raw.system, URI_MAX);
  const code = cleanText(raw.code, CODE_MAX);
  const display = cleanText(raw.display, DISPLAY_MAX);
  if (system === undefined && code === undefined && display === undefined) {
    return undefined;
  }
  const knownSystem = system === undefined ? undefined : KNOWN_SYSTEMS[system.toLowerCase()];
  const normalized = code === undefined ? undefined : normaliseCode(code, knownSystem);
  return { system, code, display, knownSystem, normalized };
}

/** The codings of a CodeableConcept. */
export function codingsOf(concept: unknown): CodingFact[] {
  return listOf(recordOf(concept).coding, MAX_CODINGS)
    .map(codingOf)
    .filter((coding): coding is CodingFact => coding !== undefined);
}

/** What a person would call the concept: its `text`, else the first coding display, else undefined. */
export function conceptDisplay(concept: unknown, max = DISPLAY_MAX): string | undefined {
  const raw = recordOf(concept);
  return cleanText(raw.text, max) ?? codingsOf(concept).find((coding) => coding.display !== undefined)?.display;
}

/** The first coded value of a status-like concept (e.g. `clinicalStatus`), or its text. */
export function conceptCode(concept: unknown): string | undefined {
  return codingsOf(concept).find((coding) => coding.code !== undefined)?.code ?? cleanText(recordOf(concept).text, CODE_MAX);
}

export function hasCoding(codings: readonly CodingFact[], system: KnownSystem, codes: readonly string[]): boolean {
  return codings.some((coding) => coding.knownSystem === system && coding.normalized !== undefined && codes.includes(coding.normalized));
}
