import type { Clock } from '../clock.ts';
import { DomainError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { Store } from '../store.ts';
import { type NormalizedIdentifier, normalizeEmail, normalizePhone, normalizeWeb3Wallet } from '../users/identifiers.ts';
import type { IdentifierType, Page } from '../users/types.ts';
import type { InstanceSettings } from './instance-settings.ts';

export type AccessList = 'allow' | 'block';

/** An allow- or block-list entry: an email address, `*@domain`, a phone number or a web3 wallet. */
export interface ListedIdentifier {
  id: string;
  list: AccessList;
  identifier: string;
  identifierType: IdentifierType;
  /** What checks compare: lowercased email or `*@domain`, E.164 phone, lowercased wallet. */
  normalized: string;
  /** The invitation sent when an allowlisted address was added with `notify`. */
  invitationId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** A duplicate entry surfaces as `listed_identifier_exists`. */
export interface AccessListStore {
  insert(entry: ListedIdentifier): Promise<void>;
  list(list: AccessList, page: Page): Promise<ListedIdentifier[]>;
  count(list: AccessList): Promise<number>;
  delete(list: AccessList, id: string): Promise<ListedIdentifier | null>;
  /** Which of `candidates` (normalized forms) are on the list. */
  matching(list: AccessList, candidates: string[]): Promise<Set<string>>;
}

const DOMAIN_WILDCARD = /^\*@(.+)$/;
/** Characters that start a subaddress in the local part (`ada+news@`, `ada=x@`, `ada#y@`). */
const SUBADDRESS = /[+=#]/;

/** Parses what an administrator lists; a domain is written `*@example.com`. */
export function parseListedIdentifier(input: string): Omit<NormalizedIdentifier, 'type'> & { type: IdentifierType } {
  const value = input.trim();
  const wildcard = DOMAIN_WILDCARD.exec(value);
  if (wildcard) {
    const domain = normalizeEmail(`x@${wildcard[1]}`, 'identifier').normalized.slice(2);
    return { type: 'email_address', value: `*@${domain}`, normalized: `*@${domain}` };
  }
  if (value.includes('@')) return normalizeEmail(value, 'identifier');
  if (/^0x/i.test(value)) return normalizeWeb3Wallet(value, 'identifier');
  try {
    return normalizePhone(value, 'identifier');
  } catch {
    throw new DomainError('invalid_param', 'identifier must be an email address, *@domain, a phone number with its country code or a web3 wallet.', { param: 'identifier' });
  }
}

/** The list entries that would match an identifier: itself, its domain, and for emails its address without a subaddress. */
function candidates(ident: NormalizedIdentifier): string[] {
  if (ident.type !== 'email_address') return [ident.normalized];
  const at = ident.normalized.lastIndexOf('@');
  const local = ident.normalized.slice(0, at);
  const domain = ident.normalized.slice(at + 1);
  const base = local.split(SUBADDRESS)[0];
  return [...new Set([ident.normalized, `${base}@${domain}`, `*@${domain}`])];
}

/** The check sign-up, user creation and invitations run before a new account may exist. */
export interface SignUpRestrictions {
  /** Throws `identifier_not_allowed` or `identifier_blocked` when the instance's restrictions refuse one of them. */
  check(identifiers: NormalizedIdentifier[]): Promise<void>;
}

/**
 * Enforces the instance restrictions, read on each call. With the allowlist on, every identifier
 * must be on it (an allowlisted identifier is never blocked, as in Clerk). With the blocklist on,
 * none may match an entry: the address itself, its `*@domain`, or the address without a
 * subaddress (blocking `ada@x.com` also blocks `ada+1@x.com`). `block_email_subaddresses` refuses
 * any address with `+`, `=` or `#` in its local part.
 */
export function createSignUpRestrictions(deps: { store: Store; settings: InstanceSettings }): SignUpRestrictions {
  return {
    async check(identifiers) {
      if (identifiers.length === 0) return;
      const r = await deps.settings.restrictions();
      if (!r.allowlist && !r.blocklist && !r.blockEmailSubaddresses) return;
      const all = identifiers.flatMap(candidates);
      const allowed = r.allowlist ? await deps.store.accessLists.matching('allow', all) : new Set<string>();
      const blocked = r.blocklist ? await deps.store.accessLists.matching('block', all) : new Set<string>();
      for (const ident of identifiers) {
        const mine = candidates(ident);
        if (r.allowlist) {
          if (mine.some((c) => allowed.has(c))) continue;
          throw new DomainError('identifier_not_allowed', `${ident.value} is not on the allowlist, so it cannot be used to sign up.`, { param: ident.type });
        }
        const local = ident.type === 'email_address' ? ident.normalized.slice(0, ident.normalized.lastIndexOf('@')) : '';
        if (r.blockEmailSubaddresses && SUBADDRESS.test(local)) {
          throw new DomainError('identifier_blocked', `${ident.value} uses an email subaddress, which this instance does not accept.`, { param: ident.type });
        }
        if (mine.some((c) => blocked.has(c))) throw new DomainError('identifier_blocked', `${ident.value} is on the blocklist.`, { param: ident.type });
      }
    },
  };
}

function notFound(list: AccessList, id: string): DomainError {
  return new DomainError('listed_identifier_not_found', `No ${list}list identifier was found with id ${id}.`, { param: 'identifier_id' });
}

/** Entries of the allow- and block-lists. */
export function createAccessListService(deps: { store: Store; clock: Clock }) {
  const { store, clock } = deps;
  return {
    /**
     * Adds an entry; `within` runs in the same transaction (the allowlist's `notify` sends an
     * invitation there), and may return an invitation id to record with it.
     */
    async add(list: AccessList, input: string, within?: (tx: Store, entry: ListedIdentifier) => Promise<string | null>): Promise<ListedIdentifier> {
      const parsed = parseListedIdentifier(input);
      return store.transaction(async (tx) => {
        const now = clock.now();
        const entry: ListedIdentifier = {
          id: newId(list === 'allow' ? 'alid' : 'blid'),
          list,
          identifier: parsed.value,
          identifierType: parsed.type,
          normalized: parsed.normalized,
          invitationId: null,
          createdAt: now,
          updatedAt: now,
        };
        entry.invitationId = (await within?.(tx, entry)) ?? null;
        await tx.accessLists.insert(entry);
        await tx.events.record({ type: `${list}list_identifier.created`, subjectId: entry.id, payload: { identifier_type: entry.identifierType }, at: now });
        return entry;
      });
    },

    list: (list: AccessList, page: Page) => store.accessLists.list(list, page),
    count: (list: AccessList) => store.accessLists.count(list),

    async remove(list: AccessList, id: string): Promise<ListedIdentifier> {
      return store.transaction(async (tx) => {
        const removed = await tx.accessLists.delete(list, id);
        if (!removed) throw notFound(list, id);
        await tx.events.record({ type: `${list}list_identifier.deleted`, subjectId: id, payload: {}, at: clock.now() });
        return removed;
      });
    },
  };
}

export type AccessListService = ReturnType<typeof createAccessListService>;
