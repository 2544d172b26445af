/** The groups of instance settings; each is one JSON object stored under its key. */
export type SettingsGroup = 'instance' | 'restrictions' | 'organizations' | 'auth';

/**
 * Instance settings as a key/value table. `merge` is a single statement (shallow JSON merge in an
 * upsert), so two concurrent changes to different fields of one group both survive.
 */
export interface InstanceSettingsStore {
  get(group: SettingsGroup): Promise<Record<string, unknown> | null>;
  /** Merges `patch` into the group's object and returns the result. */
  merge(group: SettingsGroup, patch: Record<string, unknown>, now: Date): Promise<Record<string, unknown>>;
}
