import { Controller } from 'egg';
import { findUser } from '../lib/users.js';
import { homePage } from '../pages/home.js';
import { takeNotices } from '../lib/notices.js';

export default class HomeController extends Controller {
  async index() {
    const { ctx } = this;
    const user = findUser(ctx.session.userId);
    if (!user) {
      ctx.redirect('/login');
      return;
    }
    ctx.session.views = (ctx.session.views ?? 0) + 1;
    ctx.body = homePage(ctx, { user, views: ctx.session.views, notices: takeNotices(ctx) });
  }
}
