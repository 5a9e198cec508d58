import { z } from 'zod';
import { badRequest } from '../../errors';
import type { SandboxContext } from '../context';
import { BANNER_SETTINGS, SANDBOX_VENDORS, SIMULATED_FAULTS, WRITE_FAULTS } from '../types';
import type { LaunchContext, Simulation } from '../types';

/** The resource types a launch can deny: each section of the handout reads one of them; the note is a DocumentReference. */
export const DENIABLE_TYPES = [
  'Observation',
  'MedicationStatement',
  'AllergyIntolerance',
  'Procedure',
  'Device',
  'Condition',
  'DocumentReference',
] as const;

const id = z.string().regex(/^[A-Za-z0-9\-.]{1,64}$/);
/** A form sends one value as a string and several as an array; JSON sends an array. */
const list = z
  .union([z.string(), z.array(z.string()).max(50)])
  .optional()
  .transform((v) => (v === undefined ? [] : ([] as string[]).concat(v)));
const flag = z.union([z.boolean(), z.enum(['on', 'true', 'false'])]).optional();

const launchSchema = z.object({
  user: id,
  patient: id,
  encounter: z.union([id, z.literal('')]).optional(),
  vendor: z.enum(SANDBOX_VENDORS).default('generic'),
  banner: z.union([z.boolean(), z.enum(BANNER_SETTINGS)]).default('true'),
  error: z.enum(SIMULATED_FAULTS).default('none'),
  deny: list.pipe(z.array(z.enum(DENIABLE_TYPES))),
  fail: list.pipe(z.array(z.string().regex(/^[A-Z][A-Za-z]{0,63}$/))),
  embed: flag,
  writeFault: z.enum(['none', ...WRITE_FAULTS]).default('none'),
});

function simulationOf(input: z.infer<typeof launchSchema>, ctx: SandboxContext): Simulation {
  const unknownFailing = input.fail.filter((t) => !ctx.servedTypes.has(t));
  if (unknownFailing.length > 0) {
    throw badRequest('fail lists a resource type this server does not serve.');
  }
  let banner = input.banner;
  if (typeof banner === 'boolean') {
    banner = banner ? 'true' : 'false';
  }
  return {
    vendor: input.vendor,
    banner,
    fault: input.error,
    deniedTypes: [...new Set(input.deny)],
    failingTypes: [...new Set(input.fail)],
    embed: input.embed === true || input.embed === 'on' || input.embed === 'true',
    writeFault: input.writeFault,
  };
}

/**
 * Validates a simulator launch (form or JSON) against the sandbox's data: the user must be a sandbox
 * practitioner, the patient a listed patient, and the encounter one of that patient's (default: the first).
 */
export function parseLaunchInput(ctx: SandboxContext, body: unknown): LaunchContext {
  const parsed = launchSchema.safeParse(body ?? {});
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((i) => String(i.path[0] ?? 'body')))];
    throw badRequest(`Invalid launch fields: ${fields.join(', ')}.`);
  }
  const input = parsed.data;
  if (!ctx.data.practitioners.some((p) => p.id === input.user)) {
    throw badRequest('Unknown user.');
  }
  const patient = ctx.data.patients.find((p) => p.patientId === input.patient);
  if (patient === undefined) {
    throw badRequest('Unknown patient.');
  }
  const encounter = input.encounter === undefined || input.encounter === '' ? patient.encounterIds[0] : input.encounter;
  if (encounter === undefined || !patient.encounterIds.includes(encounter)) {
    throw badRequest('That encounter does not belong to the patient.');
  }
  return { patient: patient.patientId, encounter, user: input.user, simulation: simulationOf(input, ctx) };
}
