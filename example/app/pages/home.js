import { csrfField, escapeHtml, layout } from './layout.js';

export function homePage(ctx, { user, views, notices = [] }) {
  return layout({
    title: `Hello, ${user.name}`,
    notices,
    body: `<p>You have viewed this page <strong id="views">${views}</strong> time${views === 1 ? '' : 's'} in this session.
Reload to count up: the count lives in your session, not on the server's disk.</p>
<p><a href="/devices">Your devices</a>: where else you are signed in.</p>
<form method="post" action="/logout">
  ${csrfField(ctx)}
  <button type="submit">Log out</button>
</form>`,
  });
}
