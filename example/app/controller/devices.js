import { Controller } from 'egg';
import { signedInUser } from '../lib/users.js';
import { devicesListable } from '../lib/devices.js';
import { takeNotices } from '../lib/notices.js';
import { devicesPage } from '../pages/devices.js';

export default class DevicesController extends Controller {
  async index() {
    const { ctx } = this;
    const user = signedInUser(ctx);
    if (!user) return;
    let sessions = null;
    if (devicesListable(ctx.app)) {
      // this one first, then the most recently seen
      sessions = (await ctx.sessions.list()).sort((a, b) => Number(b.current ?? false) - Number(a.current ?? false));
    }
    ctx.body = devicesPage(ctx, { user, sessions, notices: takeNotices(ctx) });
  }

  /** "Log out everywhere else": every other session of this user is destroyed, this one stays. */
  async logoutOthers() {
    const { ctx } = this;
    if (!signedInUser(ctx)) return;
    if (devicesListable(ctx.app)) {
      const { destroyed: count } = await ctx.sessions.destroyOthers();
      ctx.flash('info', `Logged out ${count} other device${count === 1 ? '' : 's'}.`);
    }
    ctx.redirect('/devices');
  }
}
