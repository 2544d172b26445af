import type { ColumnType } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;

/** Browsers (and API callers) holding sessions; see migration 0014. */
export interface ClientsTable {
  id: string;
  token_hash: string;
  last_active_session_id: string | null;
  sign_in_id: string | null;
  sign_up_id: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface SessionsTable {
  id: string;
  user_id: string;
  client_id: string;
  actor: ColumnType<Record<string, unknown> | null, string | null, string | null>;
  status: string;
  last_active_organization_id: string | null;
  last_active_at: Timestamp;
  expire_at: Timestamp;
  abandon_at: Timestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
}
