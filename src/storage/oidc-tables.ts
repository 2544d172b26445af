import type { ColumnType } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;

/** oidc-provider's models (all but clients), one row per stored artifact; see migration 0016. */
export interface OidcPayloadsTable {
  model: string;
  id: string;
  payload: ColumnType<Record<string, unknown>, string, string>;
  grant_id: string | null;
  user_code: string | null;
  uid: string | null;
  account_id: string | null;
  expires_at: Timestamp | null;
  consumed_at: Timestamp | null;
}

export interface OAuthApplicationsTable {
  id: string;
  client_id: string;
  name: string;
  public: boolean;
  scopes: string;
  callback_url: string;
  client_secret_sha256: string | null;
  consent_screen_enabled: boolean;
  client_credentials_enabled: boolean;
  created_at: Timestamp;
  updated_at: Timestamp;
}
