import type { NextFunction, Request, Response } from 'express';
import type { SandboxContext } from '../context';
import type { Grant, WriteFault } from '../types';
import { optionalGrantOf } from './bearer';

/**
 * Every DocumentReference write the sandbox received, refused or not, so tests can assert both "exactly one note in
 * the chart" and "N requests were made" (duplicate-free filing, research `security-reliability.md` §6 H1–H4).
 * Synthetic patients only; nothing here reaches an operational log.
 */
export interface WriteLogEntry {
  method: 'POST' | 'PUT';
  type: string;
  /** The note's subject when it names a Patient, else the launch patient; undefined without a valid token. */
  patientId: string | undefined;
  /** The status the sandbox decided on (also when a fault then dropped the answer). */
  status: number;
  /** When the request arrived, sandbox clock, milliseconds since the epoch. */
  at: number;
  /** The injected fault, if one applied. */
  fault?: WriteFault;
  /** False when the client never got the whole answer (`drop-after-store`, or the client went away). */
  answered: boolean;
}

/** The most recent entries kept. */
export const MAX_WRITE_LOG = 10_000;

const SUBJECT_PATIENT = /^Patient\/([A-Za-z0-9\-.]{1,64})$/;

/** The patient a write is about: the body's `subject` if it is `Patient/<id>`, else the launch patient. */
export function patientOfWrite(req: Request, grant: Grant | undefined): string | undefined {
  const body = req.body as { subject?: { reference?: unknown } } | undefined;
  const reference = typeof body === 'object' && body !== null ? body.subject?.reference : undefined;
  const match = typeof reference === 'string' ? SUBJECT_PATIENT.exec(reference) : null;
  return match?.[1] ?? grant?.context.patient;
}

function isDocumentWrite(req: Request): req is Request & { method: 'POST' | 'PUT' } {
  return (
    (req.method === 'POST' && req.path === '/DocumentReference') ||
    (req.method === 'PUT' && /^\/DocumentReference\/[^/]+$/.test(req.path))
  );
}

/** Mounted before authentication, so refused writes (401, 413, …) are recorded too; the entry is written on close. */
export function recordDocumentWrites(ctx: SandboxContext): (req: Request, res: Response, next: NextFunction) => void {
  return (req, res, next) => {
    if (isDocumentWrite(req)) {
      const at = ctx.clock();
      const method = req.method;
      res.on('close', () => {
        const log = ctx.state.writeLog;
        const fault = res.locals.fault as WriteFault | undefined;
        const patientId = patientOfWrite(req, optionalGrantOf(res));
        log.push({ method, type: 'DocumentReference', patientId, status: res.statusCode, at, answered: res.writableFinished, ...(fault ? { fault } : {}) });
        log.splice(0, Math.max(0, log.length - MAX_WRITE_LOG));
      });
    }
    next();
  };
}
