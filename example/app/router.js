export default app => {
  const { router, controller } = app;
  router.get('/', controller.home.index);
  router.get('/login', controller.auth.form);
  router.post('/login', controller.auth.login);
  router.post('/logout', controller.auth.logout);
  router.get('/devices', controller.devices.index);
  router.post('/devices/logout-others', controller.devices.logoutOthers);
  router.post('/api/login', controller.api.login);
  router.get('/api/me', controller.api.me);
  router.post('/api/logout', controller.api.logout);
};
