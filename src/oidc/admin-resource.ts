/** The resource indicator of the admin API; client-credentials tokens for it are RFC 9068 JWTs. */
export const adminResource = (issuer: string) => `${issuer.replace(/\/+$/, '')}/v1`;

/** Lifetime of client-credentials access tokens for the admin API. */
export const ADMIN_TOKEN_SECONDS = 600;
