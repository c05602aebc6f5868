import { csrfField, escapeHtml, layout } from './layout.js';
import { describeUserAgent, timeAgo } from '../lib/devices.js';

function when(ms) {
  const iso = new Date(ms).toISOString();
  return `<time datetime="${iso}" title="${iso.replace('T', ' ').slice(0, 19)} UTC">${timeAgo(ms)}</time>`;
}

function deviceRow(session) {
  const marker = session.current ? ' <strong class="this-device">(this device)</strong>' : '';
  return `<tr class="device${session.current ? ' current' : ''}">
  <td><span title="${escapeHtml(session.userAgent)}">${escapeHtml(describeUserAgent(session.userAgent))}</span>${marker}</td>
  <td>${escapeHtml(session.ip || '?')}</td>
  <td>${when(session.createdAt)}</td>
  <td>${when(session.lastSeenAt)}</td>
</tr>`;
}

/** `sessions`: ctx.sessions.list() (current first), or null when sessions cannot be listed. */
export function devicesPage(ctx, { user, sessions, notices = [] }) {
  const back = '<p><a href="/">← Back to your counter</a></p>';
  if (!sessions) {
    return layout({
      title: 'Your devices',
      notices,
      body: `<p id="devices-unavailable">This example keeps sessions in sealed cookies, which live only in your browsers:
the server has nothing to list. Start it with the Redis store to see every device signed in as
<strong>${escapeHtml(user.name)}</strong> and to log the others out:</p>
<pre><code>SESSION_STORE=redis npm run example</code></pre>
${back}`,
    });
  }
  const others = sessions.filter(s => !s.current).length;
  const logoutOthers = others
    ? `<form method="post" action="/devices/logout-others">
  ${csrfField(ctx)}
  <button type="submit">Log out everywhere else</button>
</form>`
    : '<p>No other device is signed in.</p>';
  return layout({
    title: 'Your devices',
    notices,
    body: `<p>Signed in as <strong>${escapeHtml(user.name)}</strong> on
<strong id="device-count">${sessions.length}</strong> device${sessions.length === 1 ? '' : 's'}:</p>
<table id="devices">
<thead><tr><th>Device</th><th>IP address</th><th>Signed in</th><th>Last seen</th></tr></thead>
<tbody>
${sessions.map(deviceRow).join('\n')}
</tbody>
</table>
${logoutOthers}
${back}`,
  });
}
