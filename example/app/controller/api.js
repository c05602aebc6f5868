import { Controller } from 'egg';
import { authenticate } from '../lib/users.js';

// A JSON API for clients without cookies (mini-programs, native apps; example/client.mjs). With
// SESSION_STORE=redis the session id travels in the X-Session-Id header (config.session.idHeader).
export default class ApiController extends Controller {
  async login() {
    const { ctx } = this;
    const { name, password } = ctx.request.body ?? {};
    const user = authenticate(name, password);
    if (!user) {
      ctx.status = 401;
      ctx.body = { error: 'wrong username or password' };
      return;
    }
    // a new user on the session: the plugin moves it to a new id by itself (regenerateOnSignIn)
    ctx.session.userId = user.id;
    ctx.body = { user: user.name };
  }

  async me() {
    const { ctx } = this;
    ctx.body = { userId: ctx.session.userId ?? null, signedInAt: ctx.sessions.signedInAt ?? null };
  }

  async logout() {
    const { ctx } = this;
    ctx.session = null;
    ctx.body = { ok: true };
  }
}
