import { csrfField, escapeHtml, layout } from './layout.js';
import { demoAccounts } from '../lib/users.js';

export function loginPage(ctx, { name = '', notices = [] } = {}) {
  const accounts = demoAccounts.map(a => `<code>${escapeHtml(a.name)}</code> / <code>${escapeHtml(a.password)}</code>`);
  return layout({
    title: 'Log in',
    notices,
    body: `<form method="post" action="/login">
  ${csrfField(ctx)}
  <label>Username <input type="text" name="name" value="${escapeHtml(name)}" autocomplete="username" required></label>
  <label>Password <input type="password" name="password" autocomplete="current-password" required></label>
  <label><input type="checkbox" name="remember" value="1" checked> Keep me logged in for a day
    (unchecked: until the browser closes)</label>
  <button type="submit">Log in</button>
</form>
<p>Demo accounts: ${accounts.join(', ')}.</p>`,
  });
}
