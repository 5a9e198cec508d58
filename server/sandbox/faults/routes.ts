import express from 'express';
import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import { badRequest, forbidden } from '../../errors';
import type { SandboxContext } from '../context';
import { isCrossSitePost } from '../cookies';
import { WRITE_FAULTS } from '../types';
import { MAX_QUEUED_RULES } from './fault-queue';
import type { FaultRule, RetryAfter } from './fault-queue';

/** Retry-After when none is asked for; an HTTP-date form without seconds lies this far ahead. */
const DEFAULT_RETRY_AFTER_S = 1;
const MAX_RETRY_AFTER_S = 3600;
const MAX_DELAY_MS = 120_000;
const DEFAULT_DELAY_MS = 2_000;

const faultSchema = z
  .object({
    fault: z.enum(WRITE_FAULTS),
    patient: z.string().regex(/^[A-Za-z0-9\-.]{1,64}$/).optional(),
    count: z.number().int().min(1).max(100).default(1),
    retryAfter: z.union([z.number().int().min(0).max(MAX_RETRY_AFTER_S), z.literal('http-date')]).optional(),
    /** With `retryAfter: 'http-date'`: how far ahead the date lies. */
    retryAfterSeconds: z.number().int().min(0).max(MAX_RETRY_AFTER_S).optional(),
    delayMs: z.number().int().min(0).max(MAX_DELAY_MS).optional(),
    scope: z.enum(['write', 'read']).default('write'),
    resourceType: z.string().regex(/^[A-Z][A-Za-z]{0,63}$/).optional(),
  })
  .strict();

type FaultInput = z.infer<typeof faultSchema>;

function ruleOf(input: FaultInput): FaultRule {
  const retryAfter: RetryAfter =
    input.retryAfter === 'http-date'
      ? { seconds: input.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_S, form: 'http-date' }
      : { seconds: input.retryAfter ?? DEFAULT_RETRY_AFTER_S, form: 'seconds' };
  return {
    fault: input.fault,
    scope: input.scope,
    remaining: input.count,
    retryAfter,
    delayMs: input.delayMs ?? DEFAULT_DELAY_MS,
    ...(input.patient === undefined ? {} : { patient: input.patient }),
    ...(input.resourceType === undefined ? {} : { resourceType: input.resourceType }),
  };
}

/** Validates a fault request against the sandbox's patients and served types. */
function parseFault(ctx: SandboxContext, body: unknown): FaultRule {
  const parsed = faultSchema.safeParse(body ?? {});
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((i) => String(i.path[0] ?? 'body')))];
    throw badRequest(`Invalid fault fields: ${fields.join(', ')}.`);
  }
  const input = parsed.data;
  if (input.patient !== undefined && !ctx.data.patients.some((p) => p.patientId === input.patient)) {
    throw badRequest('Unknown patient.');
  }
  if (input.resourceType !== undefined && (input.scope !== 'read' || !ctx.servedTypes.has(input.resourceType))) {
    throw badRequest('resourceType names a served type, for read faults only.');
  }
  return ruleOf(input);
}

/** A control request must come from a script or the sandbox's own pages, as JSON (which a cross-site form cannot send). */
function checkControlRequest(req: Request, needsJson: boolean): void {
  if (isCrossSitePost(req.get('sec-fetch-site'))) {
    throw forbidden('Faults can only be set from the sandbox EHR or a test.');
  }
  if (needsJson && !req.is('application/json')) {
    throw badRequest('Send the fault as application/json.');
  }
}

function sendQueue(ctx: SandboxContext, res: Response, status: number): void {
  res.status(status).setHeader('Cache-Control', 'no-store').json({ faults: ctx.state.faults.rules });
}

/**
 * Fault injection control (sandbox only): `POST /simulator/faults` queues a fault for the next matching FHIR
 * request(s), `GET` lists the queue, `DELETE` clears it. See `fault-queue.ts` for matching and `inject.ts` for effects.
 */
export function faultRoutes(ctx: SandboxContext): Router {
  const router = express.Router();
  router.post('/simulator/faults', express.json({ limit: '4kb' }), (req, res) => {
    checkControlRequest(req, true);
    const rule = parseFault(ctx, req.body);
    if (ctx.state.faults.rules.length >= MAX_QUEUED_RULES) {
      throw badRequest(`At most ${MAX_QUEUED_RULES} faults can wait at once; clear them first.`);
    }
    ctx.state.faults.rules.push(rule);
    sendQueue(ctx, res, 201);
  });
  router.get('/simulator/faults', (_req, res) => sendQueue(ctx, res, 200));
  router.delete('/simulator/faults', (req, res) => {
    checkControlRequest(req, false);
    ctx.state.faults.rules.length = 0;
    sendQueue(ctx, res, 200);
  });
  return router;
}
