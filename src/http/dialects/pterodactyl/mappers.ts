import type { User } from '../../../core/users/types.ts';

/** ISO 8601 with an explicit offset and no milliseconds, as the panel prints dates. */
export function panelDate(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

export function toPanelUser(u: User, includeServers: boolean) {
  const email = u.identifiers.find((i) => i.id === u.primaryEmailAddressId) ?? u.identifiers.find((i) => i.type === 'email_address');
  return {
    object: 'user' as const,
    attributes: {
      id: u.numericId,
      external_id: u.externalId,
      uuid: u.uuid,
      username: u.username ?? '',
      email: email?.value ?? '',
      first_name: u.firstName ?? '',
      last_name: u.lastName ?? '',
      language: u.language ?? 'en',
      root_admin: u.isAdmin,
      '2fa': u.totpEnabled,
      created_at: panelDate(u.createdAt),
      updated_at: panelDate(u.updatedAt),
      // Latchkey hosts no game servers; the relationship keeps its shape so clients do not break.
      ...(includeServers ? { relationships: { servers: { object: 'list' as const, data: [] as never[] } } } : {}),
    },
  };
}
