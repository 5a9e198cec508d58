import { z } from 'zod';
import type { SealedBox } from './sealed-box';
import type { LaunchPurpose, LaunchSession, LaunchTokens, PendingAuthorization } from './launch-sessions';

const purposeOf = (value: string): LaunchPurpose => (value === 'compliance' ? 'compliance' : 'clinical');

/** Rows as both drivers return them: timestamptz → Date, jsonb → parsed value, NULL → null. */
export interface PendingRow {
  state: string;
  browser_session_id: string;
  tenant_id: string;
  client_state_sealed: string;
  created_at: Date;
  expires_at: Date;
  purpose: string;
}

export interface SessionRow {
  launch_id: string;
  browser_session_id: string;
  tenant_id: string;
  fhir_base_url: string;
  patient_id: string;
  encounter_id: string | null;
  fhir_user: string | null;
  user_sub: string | null;
  context: Record<string, unknown>;
  tokens_sealed: string;
  csrf_token: string;
  created_at: Date;
  last_seen_at: Date;
  expires_at: Date;
  purpose: string;
}

/** What is sealed for tokens: dates travel as ISO strings inside the JSON. */
const sealedTokensSchema = z.object({
  accessToken: z.string(),
  refreshToken: z.string().optional(),
  idToken: z.string().optional(),
  tokenType: z.string(),
  scope: z.string(),
  expiresAt: z.iso.datetime(),
});

/** Additional authenticated data: a sealed value opens only in the row (and column) it was written to. */
export const tokensContext = (launchId: string): string => `launch_sessions.tokens:${launchId}`;
export const clientStateContext = (state: string): string => `pending_authorizations.client_state:${state}`;

export function sealTokens(box: SealedBox, launchId: string, tokens: LaunchTokens): string {
  const { accessToken, refreshToken, idToken, tokenType, scope } = tokens;
  const plain = { accessToken, refreshToken, idToken, tokenType, scope, expiresAt: tokens.expiresAt.toISOString() };
  return box.seal(plain, tokensContext(launchId));
}

export function openTokens(box: SealedBox, launchId: string, sealed: string): LaunchTokens {
  const parsed = sealedTokensSchema.parse(box.open(sealed, tokensContext(launchId)));
  const tokens: LaunchTokens = {
    accessToken: parsed.accessToken,
    tokenType: parsed.tokenType,
    scope: parsed.scope,
    expiresAt: new Date(parsed.expiresAt),
  };
  if (parsed.refreshToken !== undefined) {
    tokens.refreshToken = parsed.refreshToken;
  }
  if (parsed.idToken !== undefined) {
    tokens.idToken = parsed.idToken;
  }
  return tokens;
}

export function pendingFromRow(box: SealedBox, row: PendingRow): PendingAuthorization {
  return {
    state: row.state,
    browserSessionId: row.browser_session_id,
    tenantId: row.tenant_id,
    ...(purposeOf(row.purpose) === 'compliance' ? { purpose: 'compliance' as const } : {}),
    clientState: box.open(row.client_state_sealed, clientStateContext(row.state)),
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  };
}

export function sessionFromRow(box: SealedBox, row: SessionRow): LaunchSession {
  const session: LaunchSession = {
    launchId: row.launch_id,
    ...(purposeOf(row.purpose) === 'compliance' ? { purpose: 'compliance' as const } : {}),
    browserSessionId: row.browser_session_id,
    tenantId: row.tenant_id,
    fhirBaseUrl: row.fhir_base_url,
    patientId: row.patient_id,
    context: row.context,
    tokens: openTokens(box, row.launch_id, row.tokens_sealed),
    csrfToken: row.csrf_token,
    createdAt: row.created_at,
    lastSeenAt: row.last_seen_at,
    expiresAt: row.expires_at,
  };
  if (row.encounter_id !== null) {
    session.encounterId = row.encounter_id;
  }
  if (row.fhir_user !== null) {
    session.fhirUser = row.fhir_user;
  }
  if (row.user_sub !== null) {
    session.userSub = row.user_sub;
  }
  return session;
}
