import type { Clock } from '../clock.ts';
import { DomainError } from '../errors.ts';
import { checkMaxMemberships } from '../organizations/organization-input.ts';
import type { Store } from '../store.ts';
import { normalizeEmail } from '../users/identifiers.ts';
import type { SettingsGroup } from './settings-store.ts';

/** General settings (Clerk's `PATCH /instance`). Only stored: see the README for what each means here. */
export interface InstanceConfig {
  testMode: boolean;
  hibp: boolean;
  enhancedEmailDeliverability: boolean;
  supportEmail: string | null;
  clerkJsVersion: string | null;
  developmentOrigin: string | null;
  /** Origins the hosted pages and browser clients to come will accept. */
  allowedOrigins: string[];
  urlBasedSessionSyncing: boolean;
  preferredSignInStrategyWhenPasswordRequired: '' | 'password' | 'otp';
  homeUrl: string | null;
}

/** Who may sign up: enforced by `createSignUpRestrictions`. */
export interface Restrictions {
  allowlist: boolean;
  blocklist: boolean;
  blockEmailSubaddresses: boolean;
  blockDisposableEmailDomains: boolean;
  ignoreDotsForGmailAddresses: boolean;
}

export interface OrganizationSettings {
  /** Off: no new organizations, members or invitations; existing ones stay readable and deletable. */
  enabled: boolean;
  /** The member limit of organizations created without one (0 = none). */
  maxAllowedMemberships: number;
  /** `admin_delete_enabled` of organizations created from now on. */
  adminDeleteEnabled: boolean;
  domainsEnabled: boolean;
  domainsEnrollmentModes: string[];
  /** The role key a creator gets. */
  creatorRoleKey: string;
  domainsDefaultRoleKey: string;
}

/** Clerk's beta `instance_settings`; `restricted_to_allowlist` is `Restrictions.allowlist`. */
export interface AuthConfig {
  fromEmailAddress: string | null;
  progressiveSignUp: boolean;
  sessionTokenTemplate: string | null;
}

export const DEFAULT_INSTANCE: InstanceConfig = {
  testMode: false,
  hibp: true,
  enhancedEmailDeliverability: false,
  supportEmail: null,
  clerkJsVersion: null,
  developmentOrigin: null,
  allowedOrigins: [],
  urlBasedSessionSyncing: false,
  preferredSignInStrategyWhenPasswordRequired: '',
  homeUrl: null,
};

export const DEFAULT_RESTRICTIONS: Restrictions = {
  allowlist: false,
  blocklist: false,
  blockEmailSubaddresses: false,
  blockDisposableEmailDomains: false,
  ignoreDotsForGmailAddresses: false,
};

// Organizations existed before this setting did, so they stay on by default.
export const DEFAULT_ORGANIZATION_SETTINGS: OrganizationSettings = {
  enabled: true,
  maxAllowedMemberships: 0,
  adminDeleteEnabled: true,
  domainsEnabled: false,
  domainsEnrollmentModes: [],
  creatorRoleKey: 'org:admin',
  domainsDefaultRoleKey: 'org:member',
};

export const DEFAULT_AUTH_CONFIG: AuthConfig = { fromEmailAddress: null, progressiveSignUp: true, sessionTokenTemplate: null };

const ENROLLMENT_MODES = ['automatic_invitation', 'automatic_suggestion'];
const FROM_LOCAL_PART = /^[A-Za-z0-9._+-]{1,64}$/;

function invalid(param: string, message: string): DomainError {
  return new DomainError('invalid_param', message, { param });
}

/** An `http(s)` origin, or any URL with `path` allowed. */
export function checkWebUrl(value: string, param: string, kind: 'origin' | 'url'): string {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw invalid(param, `${param} must be an absolute http or https URL.`);
  }
  if ((u.protocol !== 'https:' && u.protocol !== 'http:') || !u.hostname || u.username || u.password || value.length > 2048) {
    throw invalid(param, `${param} must be an absolute http or https URL without credentials.`);
  }
  return kind === 'origin' ? u.origin : u.href;
}

/** Drops undefined and null (null means "leave as it is" in these PATCH bodies). */
function defined<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined && v !== null)) as Partial<T>;
}

/**
 * Instance settings, stored in the database and read on every use: a change takes effect at once
 * on every server process sharing the database, with no cache to expire.
 */
export function createInstanceSettings(deps: { store: Store; clock: Clock }) {
  const { store, clock } = deps;

  async function read<T extends object>(group: SettingsGroup, defaults: T, from: Store = store): Promise<T> {
    return { ...defaults, ...((await from.settings.get(group)) as Partial<T> | null) };
  }

  async function write<T extends object>(group: SettingsGroup, defaults: T, patch: Partial<T>): Promise<T> {
    const values = defined(patch);
    return store.transaction(async (tx) => {
      const merged = await tx.settings.merge(group, values as Record<string, unknown>, clock.now());
      await tx.events.record({ type: 'instance.settings.updated', subjectId: group, payload: { fields: Object.keys(values) }, at: clock.now() });
      return { ...defaults, ...(merged as Partial<T>) };
    });
  }

  return {
    instance: (from?: Store) => read('instance', DEFAULT_INSTANCE, from),
    restrictions: (from?: Store) => read('restrictions', DEFAULT_RESTRICTIONS, from),
    organizations: (from?: Store) => read('organizations', DEFAULT_ORGANIZATION_SETTINGS, from),
    auth: (from?: Store) => read('auth', DEFAULT_AUTH_CONFIG, from),

    updateInstance(patch: Partial<InstanceConfig>): Promise<InstanceConfig> {
      if (patch.supportEmail) patch.supportEmail = normalizeEmail(patch.supportEmail, 'support_email').value;
      if (patch.developmentOrigin) patch.developmentOrigin = checkWebUrl(patch.developmentOrigin, 'development_origin', 'origin');
      if (patch.homeUrl) patch.homeUrl = checkWebUrl(patch.homeUrl, 'home_url', 'url');
      if (patch.allowedOrigins) patch.allowedOrigins = [...new Set(patch.allowedOrigins.map((o) => checkWebUrlOrScheme(o)))];
      return write('instance', DEFAULT_INSTANCE, patch);
    },

    updateRestrictions: (patch: Partial<Restrictions>) => write('restrictions', DEFAULT_RESTRICTIONS, patch),

    async updateOrganizations(patch: Partial<OrganizationSettings> & { creatorRoleId?: string | null; domainsDefaultRoleId?: string | null }): Promise<OrganizationSettings> {
      const { creatorRoleId, domainsDefaultRoleId, ...rest } = patch;
      checkMaxMemberships(rest.maxAllowedMemberships);
      for (const mode of rest.domainsEnrollmentModes ?? []) {
        if (!ENROLLMENT_MODES.includes(mode)) throw invalid('domains_enrollment_modes', `Enrollment modes are ${ENROLLMENT_MODES.join(' and ')}.`);
      }
      if (rest.domainsEnrollmentModes) rest.domainsEnrollmentModes = [...new Set(rest.domainsEnrollmentModes)];
      // Roles are named by id (`role_admin`) or key (`org:admin`): both identify one row.
      const roleKey = async (value: string | null | undefined, param: string) => {
        if (!value) return undefined;
        const role = (await store.organizations.findRole(value)) ?? (await store.organizations.findRoleById(value));
        if (!role) throw new DomainError('organization_role_not_found', `No organization role ${JSON.stringify(value.slice(0, 64))}.`, { param });
        return role.key;
      };
      rest.creatorRoleKey = await roleKey(creatorRoleId, 'creator_role_id');
      rest.domainsDefaultRoleKey = await roleKey(domainsDefaultRoleId, 'domains_default_role_id');
      return write('organizations', DEFAULT_ORGANIZATION_SETTINGS, rest);
    },

    async updateAuth(patch: Partial<AuthConfig> & { restrictedToAllowlist?: boolean | null }): Promise<{ auth: AuthConfig; restrictions: Restrictions; instance: InstanceConfig }> {
      const { restrictedToAllowlist, ...rest } = patch;
      if (rest.fromEmailAddress && !FROM_LOCAL_PART.test(rest.fromEmailAddress)) {
        throw invalid('from_email_address', 'from_email_address is the local part of an address: letters, digits, dots, dashes, underscores or plus signs.');
      }
      const auth = await write('auth', DEFAULT_AUTH_CONFIG, rest);
      const restrictions = restrictedToAllowlist === undefined || restrictedToAllowlist === null ? await read('restrictions', DEFAULT_RESTRICTIONS) : await write('restrictions', DEFAULT_RESTRICTIONS, { allowlist: restrictedToAllowlist });
      return { auth, restrictions, instance: await read('instance', DEFAULT_INSTANCE) };
    },
  };
}

/** Allowed origins may be web origins or an app's own scheme (`chrome-extension://id`, `capacitor://localhost`). */
function checkWebUrlOrScheme(value: string): string {
  const m = /^([a-z][a-z0-9+.-]*):\/\/([^/?#\s]+)\/?$/i.exec(value.trim());
  if (!m || value.length > 512) throw invalid('allowed_origins', 'allowed_origins are origins such as https://app.example.com or chrome-extension://<id>.');
  if (m[1].toLowerCase() === 'http' || m[1].toLowerCase() === 'https') return checkWebUrl(value.trim(), 'allowed_origins', 'origin');
  return `${m[1].toLowerCase()}://${m[2]}`;
}

export type InstanceSettings = ReturnType<typeof createInstanceSettings>;

/** Refuses unless organizations are on (instance organization settings). */
export async function requireOrganizationsEnabled(settings: Pick<InstanceSettings, 'organizations'>): Promise<OrganizationSettings> {
  const current = await settings.organizations();
  if (!current.enabled) throw new DomainError('organizations_disabled', 'The organizations feature is not enabled for this instance.');
  return current;
}
