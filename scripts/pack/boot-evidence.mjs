import fs from 'node:fs';
import path from 'node:path';

/**
 * What an operator checks to see which session plugin is live: the boot line in the core log
 * (logs/<app>/egg-web.log; $HOME/logs/<app>/ outside local and unittest) and run/application_config.json.
 */
export function readBootEvidence(appDir, appName, logRoot = appDir) {
  const logFile = path.join(logRoot, 'logs', appName, 'egg-web.log');
  const log = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '';
  const bootLine = log.split('\n').find(line => line.includes('[egg-session-plus] egg-session-plus@')) ?? '';
  const dump = JSON.parse(fs.readFileSync(path.join(appDir, 'run', 'application_config.json'), 'utf8'));
  return { logFile, bootLine, plugin: dump.plugins.session, config: dump.config.session };
}
