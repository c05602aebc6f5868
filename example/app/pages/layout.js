const ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value) {
  return String(value).replace(/[&<>"']/g, ch => ESCAPES[ch]);
}

/** A hidden `_csrf` field: egg rejects a POST without it (403). */
export function csrfField(ctx) {
  return `<input type="hidden" name="_csrf" value="${escapeHtml(ctx.csrf)}">`;
}

/** The page frame. `notices`: [{ type: 'info' | 'error', text }], e.g. flash messages (lib/notices.js). */
export function layout({ title, body, notices = [] }) {
  const noticeHtml = notices
    .map(n => `<p class="notice ${escapeHtml(n.type)}" role="status">${escapeHtml(n.text)}</p>`)
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · egg-session-plus example</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 42rem; margin: 3rem auto; padding: 0 1rem; color: #222; }
  .notice { padding: .5rem .75rem; border-radius: 4px; background: #eef6ee; }
  .notice.error { background: #fbeaea; }
  label { display: block; margin: .75rem 0; }
  input[type=text], input[type=password] { display: block; width: 100%; padding: .4rem; box-sizing: border-box; }
  button { padding: .4rem 1rem; }
  table { border-collapse: collapse; width: 100%; margin: 1rem 0; font-size: .9rem; }
  th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid #ddd; }
  tr.current { background: #f3f7ff; }
  footer { margin-top: 3rem; color: #777; font-size: .85rem; }
</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
${noticeHtml}
${body}
<footer>egg-session-plus example</footer>
</body>
</html>
`;
}
