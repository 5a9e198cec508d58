import type { LaunchTokens } from '../store/launch-sessions';
import { relaunchNeeded } from './launch-errors';

/**
 * Reads an EHR token response defensively (security-reliability §6 C3, C5): the patient must be in context and look
 * like a FHIR id, the token must be a Bearer token, and a missing lifetime is taken as short. Launch parameters that
 * are not secrets are kept as the launch context.
 */
export interface ParsedTokenResponse {
  tokens: LaunchTokens;
  idToken: string | undefined;
  patientId: string;
  encounterId: string | undefined;
  context: {
    needPatientBanner: boolean;
    grantedScope: string;
    intent?: string;
    smartStyleUrl?: string;
    tenant?: string;
  };
}

const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;
const DEFAULT_LIFETIME_S = 300;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** `token_type` is required and, for SMART, "bearer" (case-insensitive): a DPoP or MAC token is not one the app can use. */
export function isBearerTokenType(value: unknown): boolean {
  return str(value)?.toLowerCase() === 'bearer';
}

/** `expires_in` in seconds; missing, zero, negative or not a number is taken as a short lifetime (5 minutes). */
export function tokenLifetimeSeconds(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : DEFAULT_LIFETIME_S;
}

/**
 * SMART says `need_patient_banner` is a boolean; Epic sends the string "false". Anything but an explicit false
 * keeps the banner, because hiding who the patient is must be deliberate.
 */
export function needsPatientBanner(value: unknown): boolean {
  return !(value === false || (typeof value === 'string' && value.trim().toLowerCase() === 'false'));
}

/**
 * @param options.patientRequired - false for the compliance dashboard's launch, which has no patient in context
 *   (`patientId` is then '' and any patient the EHR sent is ignored).
 */
export function parseTokenResponse(raw: Record<string, unknown>, now = Date.now(), options: { patientRequired?: boolean } = {}): ParsedTokenResponse {
  const patientRequired = options.patientRequired ?? true;
  const accessToken = str(raw.access_token);
  if (accessToken === undefined) {
    throw relaunchNeeded('The EHR sent no access token.', 'token_missing');
  }
  if (!isBearerTokenType(raw.token_type)) {
    throw relaunchNeeded('The EHR sent a token of an unexpected type.', 'token_type');
  }
  const patientId = patientRequired ? str(raw.patient) : '';
  if (patientRequired && (patientId === undefined || !FHIR_ID.test(patientId))) {
    throw relaunchNeeded('The EHR did not say which patient this launch is for, so the app will not guess.', 'patient_missing');
  }
  const encounter = str(raw.encounter);
  const expiresIn = tokenLifetimeSeconds(raw.expires_in);
  const scope = str(raw.scope) ?? '';
  const idToken = str(raw.id_token);
  if (idToken === undefined) {
    throw relaunchNeeded('The EHR did not say who is signed in (no identity token).', 'id_token_missing');
  }
  const refreshToken = str(raw.refresh_token);
  const intent = str(raw.intent);
  const smartStyleUrl = str(raw.smart_style_url);
  const tenant = str(raw.tenant);
  return {
    tokens: {
      accessToken,
      ...(refreshToken === undefined ? {} : { refreshToken }),
      idToken,
      tokenType: 'Bearer',
      scope,
      expiresAt: new Date(now + expiresIn * 1000),
    },
    idToken,
    patientId: patientId ?? '',
    encounterId: patientRequired && encounter !== undefined && FHIR_ID.test(encounter) ? encounter : undefined,
    context: {
      needPatientBanner: needsPatientBanner(raw.need_patient_banner),
      grantedScope: scope.slice(0, 4000),
      ...(intent === undefined ? {} : { intent: intent.slice(0, 100) }),
      ...(smartStyleUrl === undefined ? {} : { smartStyleUrl: smartStyleUrl.slice(0, 500) }),
      ...(tenant === undefined ? {} : { tenant: tenant.slice(0, 100) }),
    },
  };
}
