import type { Migration } from '../migrations';

/**
 * Content approval and the content archive (server/content/content-approvals.ts).
 *
 * `content_archive` keeps the canonical JSON of every content-pack version the app has loaded or a reviewer has
 * approved, addressed by its SHA-256: a discussion held on a version reprints from here exactly what was discussed,
 * whatever the content folder holds now. `content_approvals` records who approved which content hash. Both are
 * insert-only: a trigger refuses every UPDATE and DELETE (and TRUNCATE), so neither the app nor a mistaken script can
 * rewrite what was approved or discussed. Approval is of a hash: a file changed after approval has another hash and
 * is therefore not approved.
 */
export const contentApprovals006: Migration = {
  id: '006_content_approvals',
  sql: `
CREATE TABLE content_archive (
  content_hash text PRIMARY KEY CHECK (content_hash ~ '^[0-9a-f]{64}$'),
  kind text NOT NULL CHECK (kind IN ('handout', 'checklist', 'tailoring')),
  pack_id text NOT NULL,
  language text NOT NULL,
  version text NOT NULL,
  content text NOT NULL,
  archived_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX content_archive_version ON content_archive (kind, pack_id, language, version);
CREATE TABLE content_approvals (
  id bigserial PRIMARY KEY,
  content_hash text NOT NULL REFERENCES content_archive (content_hash),
  kind text NOT NULL,
  pack_id text NOT NULL,
  language text NOT NULL,
  version text NOT NULL,
  reviewer text NOT NULL CHECK (length(reviewer) BETWEEN 3 AND 200),
  approved_by text NOT NULL,
  approved_at timestamptz NOT NULL
);
-- One approval per content: a second approval of the same content is refused (the first one stands).
CREATE UNIQUE INDEX content_approvals_one_per_content ON content_approvals (content_hash);
CREATE FUNCTION content_records_are_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is insert-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER content_archive_immutable BEFORE UPDATE OR DELETE ON content_archive
  FOR EACH ROW EXECUTE FUNCTION content_records_are_immutable();
CREATE TRIGGER content_archive_no_truncate BEFORE TRUNCATE ON content_archive
  FOR EACH STATEMENT EXECUTE FUNCTION content_records_are_immutable();
CREATE TRIGGER content_approvals_immutable BEFORE UPDATE OR DELETE ON content_approvals
  FOR EACH ROW EXECUTE FUNCTION content_records_are_immutable();
CREATE TRIGGER content_approvals_no_truncate BEFORE TRUNCATE ON content_approvals
  FOR EACH STATEMENT EXECUTE FUNCTION content_records_are_immutable();
`,
};
