export default {
  session: {
    // fail loudly in development: browsers silently drop cookies over the limit
    onCookieTooLarge: 'error',
  },
};
