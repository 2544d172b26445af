// oidc-provider ships no type declarations; Latchkey uses it through the small surface in src/oidc/.
declare module 'oidc-provider';
