import { Controller } from 'egg';
import { signedInUser } from '../lib/users.js';
import { homePage } from '../pages/home.js';
import { takeNotices } from '../lib/notices.js';

export default class HomeController extends Controller {
  async index() {
    const { ctx } = this;
    const user = signedInUser(ctx);
    if (!user) return;
    ctx.session.views = (ctx.session.views ?? 0) + 1;
    ctx.body = homePage(ctx, { user, views: ctx.session.views, notices: takeNotices(ctx) });
  }
}
