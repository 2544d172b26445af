/**
 * A jsonb column's value as read. The two backends do not always agree on whether jsonb arrives
 * parsed or as text, so both are accepted.
 */
export const asJson = <T>(v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v) as T;
