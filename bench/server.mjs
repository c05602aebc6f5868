// One bench variant: a single-process egg app (prod env) on 127.0.0.1, driven by bench/run.mjs over IPC.
import http from 'node:http';
import { start } from 'egg';

export const app = await start({ baseDir: process.env.BENCH_APP_DIR, env: 'prod' });
const server = http.createServer(app.callback());
server.keepAliveTimeout = 30_000;
await new Promise(resolve => server.listen(0, '127.0.0.1', resolve));

function usage() {
  return { cpu: process.cpuUsage(), maxRss: process.resourceUsage().maxRSS * 1024 };
}

async function stop() {
  // a stuck close must not keep the bench waiting; --cpu-prof writes its profile on exit
  setTimeout(() => process.exit(0), 3000).unref();
  server.closeAllConnections();
  server.close();
  await app.close().catch(() => undefined);
  process.exit(0);
}

process.on('message', message => {
  if (message?.type === 'usage') process.send({ type: 'usage', id: message.id, ...usage() });
  else if (message?.type === 'stop') stop();
});
// the runner went away without stopping us
process.on('disconnect', () => stop());
process.send({ type: 'ready', port: server.address().port });

// CPU profile of a measured window only (same V8 profiler as --cpu-prof, without boot and idle time)
let profiler;
process.on('message', async message => {
  if (message?.type === 'profile-start') {
    const { Session } = await import('node:inspector/promises');
    profiler = new Session();
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.setSamplingInterval', { interval: 200 });
    await profiler.post('Profiler.start');
    process.send({ type: 'profile-started', id: message.id });
  } else if (message?.type === 'profile-stop') {
    const { profile } = await profiler.post('Profiler.stop');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(message.file, JSON.stringify(profile));
    profiler.disconnect();
    process.send({ type: 'profile-written', id: message.id, file: message.file });
  }
});
