/**
 * Every string the hosted pages show, in one place so a translation is one file. Keys are
 * stable; `{name}` placeholders are filled by `t()`.
 */
export const EN = {
  appName: 'Latchkey',
  forgotTitle: 'Reset your password',
  forgotLead: 'Enter the email address or phone number of your account. We will send you a code.',
  identifierLabel: 'Email address or phone number',
  sendCode: 'Send code',
  forgotSent: 'If an account exists for that address, a code and a link are on their way. They work for 10 minutes.',
  haveCode: 'I have a code',
  codeTitle: 'Enter your code',
  codeLabel: '6-digit code',
  continue: 'Continue',
  newPasswordTitle: 'Choose a new password',
  newPasswordLabel: 'New password',
  newPasswordHint: 'At least 8 characters. Avoid common passwords and your email address.',
  savePassword: 'Save password',
  passwordSaved: 'Your password was changed. You can sign in with it now.',
  verifyTitle: 'Email address verified',
  verifyDone: 'Thank you. {email} is verified.',
  linkInvalid: 'This link is not valid any more. It may have expired or been used already.',
  tooMany: 'Too many attempts. Please wait a few minutes and try again.',
  formExpired: 'This form has expired. Please try again.',
  genericError: 'Something went wrong. Please try again.',
} as const;

export type TextKey = keyof typeof EN;

export function t(key: TextKey, vars: Record<string, string> = {}): string {
  return EN[key].replace(/\{(\w+)\}/g, (_, name: string) => vars[name] ?? '');
}
