import type { Application } from 'egg';
import { ctxOwner } from './setup.js';
import { refOf } from '../session-id.js';
import type { KoaSession } from './koa-base.js';

/** A session loaded outside a request (`app.sessions.load()`). */
export interface LoadedSession {
  /** the app's data as loaded */ data: Record<string, unknown>;
  user: string | number | undefined; signedInAt: number | undefined;
  /** a store session's id in `list()`; undefined for cookie sessions */ ref: string | undefined;
  /** change it, then save() */ session: KoaSession & Record<string, any>;
  /** Writes the changes: false when the session was destroyed meanwhile (it is never written again). */ save(): Promise<boolean>;
}

// The session `input` names, read in a request of its own through the same gates as any request (id shape, seal, expiry, revocation).
export async function loadOutsideRequest(app: Application, input: unknown): Promise<LoadedSession | undefined> {
  if (typeof input !== 'string') throw new TypeError(`[egg-session-plus] app.sessions.load() takes a session id or a Cookie header, got ${typeof input}`);
  const { key, idHeader } = app.config.session;
  const bare = !input.includes(`${key}=`);
  const headers: Record<string, string> = { cookie: bare ? `${key}=${input}` : input };
  if (bare && idHeader) headers[idHeader] = input;
  const ctx = app.createAnonymousContext({ headers } as never);
  const owner = ctxOwner(ctx);
  await owner.load();
  const session = owner.get() as LoadedSession['session'] | null;
  if (!session || !owner.exists() || owner.anonymous) return;
  const id = owner.store ? owner.externalKey : undefined;
  const user = owner.userOfSession();
  owner.outsideUser = { user };
  return {
    data: session.toJSON(), user, signedInAt: owner.signedInAt(), ref: id && refOf(id), session,
    async save() {
      if (!id) throw new TypeError('[egg-session-plus] a cookie session can be saved only in a request: its new cookie must reach the browser');
      await owner.commit({ save: true });
      await owner.finish();
      return owner.alive();
    },
  };
}
