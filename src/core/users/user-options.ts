/** Instance rules the users domain enforces. */
export interface UserRules {
  /** A user must keep at least one email address, phone number or web3 wallet. */
  requireIdentifier: boolean;
  /** Users created without a password need `skip_password_requirement`. */
  requirePassword: boolean;
}

export const DEFAULT_USER_RULES: UserRules = { requireIdentifier: true, requirePassword: false };
