import type { Application } from 'egg';

/** egg's `config.keys` ("newest, older, ...") as a list. */
export function appKeys(app: Application): string[] {
  return String(app.config.keys ?? '').split(',').map(key => key.trim()).filter(Boolean);
}
