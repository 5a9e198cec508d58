import type { Migration } from '../migrations';

/**
 * The compliance dashboard (server/compliance).
 *
 * - A launch has a purpose: `clinical` (a patient's chart) or `compliance` (the dashboard, a standalone launch with
 *   no patient). The pending authorization carries it to the callback, and the session keeps it, so a dashboard
 *   session can never open a chart and a chart session can never open the dashboard.
 * - `discussions.filing_state` is the state of the discussion's current write intent (the live one, else the latest
 *   one entered in error; NULL when none): the filter "filed / pending / failed / entered in error" must be a plain,
 *   indexed column at 100 000 discussions, not a join evaluated per row. A trigger on `write_intents` keeps it, so no
 *   code path that moves the ledger can forget it.
 * - Indexes for each dashboard filter, all ending in the page order (created_at DESC, id DESC) for keyset paging.
 */
export const complianceDashboard007: Migration = {
  id: '007_compliance_dashboard',
  sql: `
ALTER TABLE pending_authorizations ADD COLUMN purpose text NOT NULL DEFAULT 'clinical'
  CONSTRAINT pending_authorizations_purpose_check CHECK (purpose IN ('clinical', 'compliance'));
ALTER TABLE launch_sessions ADD COLUMN purpose text NOT NULL DEFAULT 'clinical'
  CONSTRAINT launch_sessions_purpose_check CHECK (purpose IN ('clinical', 'compliance'));

ALTER TABLE discussions ADD COLUMN filing_state text;
CREATE INDEX write_intents_discussion ON write_intents (discussion_id, created_at);

CREATE FUNCTION discussions_follow_filing() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE discussions SET filing_state = (
    SELECT w.state FROM write_intents w WHERE w.discussion_id = NEW.discussion_id
    ORDER BY (w.state <> 'entered-in-error') DESC, w.created_at DESC, w.id DESC LIMIT 1
  ) WHERE id = NEW.discussion_id;
  RETURN NULL;
END;
$$;
CREATE TRIGGER write_intents_follow_filing AFTER INSERT OR UPDATE OF state ON write_intents
  FOR EACH ROW EXECUTE FUNCTION discussions_follow_filing();

UPDATE discussions d SET filing_state = (
  SELECT w.state FROM write_intents w WHERE w.discussion_id = d.id
  ORDER BY (w.state <> 'entered-in-error') DESC, w.created_at DESC, w.id DESC LIMIT 1
);

CREATE INDEX discussions_dash_all ON discussions (tenant_id, created_at DESC, id DESC);
CREATE INDEX discussions_dash_clinician ON discussions (tenant_id, clinician, created_at DESC, id DESC);
CREATE INDEX discussions_dash_patient ON discussions (tenant_id, patient_id, created_at DESC, id DESC);
CREATE INDEX discussions_dash_status ON discussions (tenant_id, status, filing_state, created_at DESC, id DESC);
CREATE INDEX discussions_dash_version ON discussions (tenant_id, pack_version, created_at DESC, id DESC);
CREATE INDEX discussions_dash_language ON discussions (tenant_id, pack_language, created_at DESC, id DESC);
`,
};
