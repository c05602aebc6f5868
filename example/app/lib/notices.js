/** Flash messages set before a redirect (`ctx.flash('info', text)`), read once, as page notices. */
export function takeNotices(ctx) {
  return Object.entries(ctx.flash()).flatMap(([ type, messages ]) => messages.map(text => ({ type, text: String(text) })));
}
