import { Controller } from 'egg';
import { authenticate } from '../lib/users.js';
import { loginPage } from '../pages/login.js';
import { takeNotices } from '../lib/notices.js';

export default class AuthController extends Controller {
  async form() {
    const { ctx } = this;
    if (ctx.session.userId) {
      ctx.redirect('/');
      return;
    }
    ctx.body = loginPage(ctx, { notices: takeNotices(ctx) });
  }

  async login() {
    const { ctx } = this;
    const { name, password, remember } = ctx.request.body;
    const user = authenticate(name, password);
    if (!user) {
      ctx.status = 401;
      ctx.body = loginPage(ctx, { name, notices: [{ type: 'error', text: 'Wrong username or password.' }] });
      return;
    }
    // a fresh session (new id with a store) so a session planted before login is worthless; it also
    // rotates the CSRF secret (rotateCsrfOnRegenerate), so a token learned before login stops working
    await ctx.session.regenerate();
    ctx.session.userId = user.id;
    ctx.session.views = 0;
    // unchecked "keep me logged in": a browser-session cookie, gone when the browser closes
    if (remember !== '1') ctx.session.maxAge = 'session';
    ctx.flash('info', `Welcome, ${user.name}!`);
    ctx.redirect('/');
  }

  async logout() {
    const { ctx } = this;
    // destroys the store entry (if any) and clears the cookie
    ctx.session = null;
    // carried to the login page by a fresh session that holds nothing else
    ctx.flash('info', 'You are logged out.');
    ctx.redirect('/login');
  }
}
