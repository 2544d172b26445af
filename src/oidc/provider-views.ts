import { esc, page } from '../http/pages/layout.ts';
import { t } from '../http/pages/text.ts';

/**
 * The provider's own pages (sign-out confirmation, signed out, errors) in the hosted pages'
 * layout. No `form-action` in the policy: these forms end in a redirect to the application, which
 * browsers would otherwise block.
 */
const CSP = "default-src 'none'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'";

function send(ctx: any, status: number, html: string) {
  ctx.set('content-security-policy', CSP);
  ctx.set('x-frame-options', 'DENY');
  ctx.set('x-content-type-options', 'nosniff');
  ctx.set('referrer-policy', 'no-referrer');
  ctx.set('cache-control', 'no-store');
  ctx.type = 'text/html; charset=utf-8';
  ctx.status = status;
  ctx.body = html;
}

/** `form` is the provider's own hidden form (action and xsrf token); the buttons submit it. */
export async function logoutPage(ctx: any, form: string) {
  const body = `<p>${esc(t('oidcLogoutLead', { appName: t('appName') }))}</p>
${form}
<button type="submit" form="op.logoutForm" name="logout" value="yes">${esc(t('oidcLogoutYes'))}</button>
<button type="submit" form="op.logoutForm" class="secondary">${esc(t('oidcLogoutNo'))}</button>`;
  send(ctx, 200, page({ title: t('oidcLogoutTitle'), body }));
}

export async function loggedOutPage(ctx: any) {
  send(ctx, 200, page({ title: t('oidcLoggedOutTitle'), body: `<p>${esc(t('oidcLoggedOut'))}</p>` }));
}

/** Errors shown to the browser (a bad authorization request); the description is the provider's, escaped. */
export async function errorPage(ctx: any, out: { error?: string; error_description?: string }, error: { statusCode?: number; status?: number }) {
  const detail = out.error_description ? `${out.error}: ${out.error_description}` : (out.error ?? 'server_error');
  const status = error?.statusCode ?? error?.status ?? 400;
  send(ctx, status >= 500 ? 500 : status, page({ title: t('oidcErrorTitle'), body: `<p>${esc(t('oidcErrorLead', { error: detail }))}</p>` }));
}
