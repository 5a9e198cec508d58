import { AppError } from '../errors';

/** Launch failures the clinician can only fix by launching again from the chart. */
export function relaunchNeeded(message: string, reason: string): AppError {
  return new AppError('unauthorized', message, {
    hint: 'Open the patient\'s chart in the EHR and launch ITDD Consent again. Nothing you entered earlier is lost.',
    details: { reason },
  });
}

/** The EHR (not the clinician) failed during the launch. */
export function launchFailed(message: string, reason: string, cause?: unknown): AppError {
  return new AppError('bad_gateway', message, {
    hint: 'Try launching again in a minute. If it keeps happening, tell your EHR analyst.',
    details: { reason },
    cause,
  });
}

/** The EHR did not answer before the app's deadline (a 504, so the clinician reads "too slow", not "broken"). */
export function launchTimedOut(message: string, reason: string, cause?: unknown): AppError {
  return new AppError('gateway_timeout', message, {
    hint: 'The EHR may be busy. Try launching again in a minute. If it keeps happening, tell your EHR analyst.',
    details: { reason },
    cause,
  });
}

/** RFC 6749 §5.2 error codes that no relaunch fixes: the app's registration or keys at this EHR are wrong. */
const SETUP_ERRORS = new Set(['invalid_client', 'unauthorized_client', 'unsupported_grant_type', 'invalid_scope']);
/** An error code as the EHR sent it, shown to the site analyst only when it is a plain OAuth code (never free text). */
const OAUTH_ERROR_CODE = /^[a-z_]{1,40}$/;

/** The OAuth `error` of a token-endpoint refusal, when the body is the JSON RFC 6749 §5.2 describes. */
export function oauthErrorCodeOf(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as { error?: unknown };
    return typeof body.error === 'string' && OAUTH_ERROR_CODE.test(body.error) ? body.error : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The token endpoint refused the app itself (a wrong key, a client registered as another type, a scope the
 * registration lacks): a setup problem for the site's EHR analyst, worded as one, with the EHR's code to quote.
 * Undefined when the refusal is not of that kind (then the launch is worth retrying).
 */
export function tokenSetupError(status: number, ehrError: string | undefined): AppError | undefined {
  if (ehrError === undefined || !SETUP_ERRORS.has(ehrError)) {
    return undefined;
  }
  return new AppError('bad_gateway', `The EHR refused this app's sign-in credentials (EHR error code: ${ehrError}). This is a setup problem: launching again will not fix it.`, {
    hint: `Tell your EHR analyst: the EHR's token endpoint answered ${status} ${ehrError} to ITDD Consent. The app's client registration, its public key set (JWKS) or its client type at this EHR needs checking.`,
    details: { reason: 'token_endpoint_setup', ehrError, ehrStatus: status },
  });
}

/** Authorization errors (RFC 6749 §4.1.2.1) that say the app's request itself is wrong for this EHR: no relaunch fixes them. */
const AUTHORIZE_SETUP_ERRORS = new Set(['invalid_scope', 'unauthorized_client', 'unsupported_response_type']);
/** Authorization errors that say the EHR's own service failed: worth a relaunch later. */
const AUTHORIZE_UNAVAILABLE_ERRORS = new Set(['server_error', 'temporarily_unavailable']);

/**
 * The EHR answered the authorization with `error=` instead of a code. Each kind reads differently to the
 * clinician, and its reason code tells the audit trail which it was: the user (or a policy) said no; the app's
 * request is wrong for this EHR (a setup problem for the analyst, the EHR's code to quote); or the EHR's sign-in
 * service failed. `description` is the EHR's free text, already scrubbed; only the plain OAuth code is quoted as a code.
 */
export function authorizeRefusal(error: string, description: string | undefined): AppError {
  const code = OAUTH_ERROR_CODE.test(error) ? error : 'unrecognised';
  if (AUTHORIZE_SETUP_ERRORS.has(code)) {
    return new AppError('bad_gateway', `The EHR refused this app's sign-in request (EHR error code: ${code}). This is a setup problem: launching again will not fix it.`, {
      hint: `Tell your EHR analyst: the EHR's authorization endpoint answered ${code} to ITDD Consent. The scopes the app asks for, or its registration at this EHR, need checking.`,
      details: { reason: 'ehr_authorize_setup', error: code },
    });
  }
  if (AUTHORIZE_UNAVAILABLE_ERRORS.has(code)) {
    return new AppError('bad_gateway', `The EHR's sign-in service failed during this launch (EHR error code: ${code}).`, {
      hint: 'Try launching again in a minute. If it keeps happening, tell your EHR analyst.',
      details: { reason: 'ehr_authorize_unavailable', error: code },
    });
  }
  return new AppError('forbidden', `The EHR did not authorize the app (${code}).`, {
    // The EHR's words are shown (escaped) beside, never instead of, the way back: a launch is restarted only from the chart.
    hint: `${description === undefined ? '' : `The EHR said: "${description}" `}Launch the app again from the patient's chart if this was a mistake.`,
    details: { reason: 'ehr_denied', error: code },
  });
}
