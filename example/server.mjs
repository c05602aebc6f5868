// `npm run example`: builds the plugin, then boots this app in one process on 127.0.0.1.
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { start } from 'egg';

const baseDir = path.dirname(fileURLToPath(import.meta.url));
const port = Number(process.env.PORT ?? 7001);

const app = await start({ baseDir, ignoreWarning: true });
const server = http.createServer(app.callback());
server.listen(port, '127.0.0.1', () => {
  const store = app.config.session.store?.storeName ?? (app.config.session.store ? 'custom' : 'cookie');
  console.log(`egg-session-plus example (session store: ${store}) listening on http://127.0.0.1:${server.address().port}`);
});

for (const signal of [ 'SIGINT', 'SIGTERM' ]) {
  process.once(signal, () => {
    server.close();
    app.close().then(() => process.exit(0), () => process.exit(1));
  });
}
