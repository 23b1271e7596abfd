// A throwaway nginx running the deployment guide's configuration
// (docs/deploy/nginx-jigsync.conf) in front of a test server, with TLS from
// a self-signed certificate made for the test; and the HTTPS fetch and
// WebSocket that trust that certificate. Debian's nginx is installed by
// sync-server/scripts/ensure-nginx.sh when missing.

import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import WebSocket from 'ws';

const REPO_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const NGINX_SITE = path.join(REPO_DIR, 'docs', 'deploy', 'nginx-jigsync.conf');
const run = promisify(execFile);

/** Debian installs nginx in /usr/sbin, not on a normal user's PATH. */
function nginxProgram() {
  return ['/usr/sbin/nginx', '/usr/local/sbin/nginx'].find((p) => existsSync(p)) ?? 'nginx';
}

async function freePort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** `text` with each `[from, to]` replaced; every `from` must occur (the file is the guide's, not a copy). */
function template(text, replacements) {
  let out = text;
  for (const [from, to] of replacements) {
    if (!out.includes(from)) throw new Error(`${NGINX_SITE} no longer contains ${JSON.stringify(from)}`);
    out = out.split(from).join(to);
  }
  return out;
}

/**
 * Starts nginx with the guide's site in front of `upstream` (host:port):
 * { httpsUrl, httpUrl, ca, accessLog(), stop() }.
 */
export async function startNginx(upstream) {
  await run('bash', [path.join(REPO_DIR, 'sync-server', 'scripts', 'ensure-nginx.sh')]);
  const dir = await mkdtemp(path.join(tmpdir(), 'jigsync-nginx-'));
  // nginx's workers may run as another user: they must reach the temp paths.
  await chmod(dir, 0o755);
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  await run('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', key, '-out', cert,
  ]);
  const [tlsPort, plainPort] = [await freePort(), await freePort()];
  const accessLog = path.join(dir, 'access.log');
  const site = template(await readFile(NGINX_SITE, 'utf8'), [
    ['server 127.0.0.1:8080;', `server ${upstream};`],
    ['listen 443 ssl http2;', `listen 127.0.0.1:${tlsPort} ssl http2;`],
    ['listen 80;', `listen 127.0.0.1:${plainPort};`],
    ['/etc/letsencrypt/live/classroom.example.org/fullchain.pem', cert],
    ['/etc/letsencrypt/live/classroom.example.org/privkey.pem', key],
    ['/var/log/nginx/jigsync.access.log', accessLog],
    // The redirect names the standard port; here TLS is on another one.
    ['return 301 https://$host$request_uri;', `return 301 https://$host:${tlsPort}$request_uri;`],
  ]);
  await writeFile(path.join(dir, 'jigsync.conf'), site);
  for (const sub of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) {
    await mkdir(path.join(dir, sub), { mode: 0o777 });
    await chmod(path.join(dir, sub), 0o777);
  }
  // What Debian's /etc/nginx/nginx.conf provides around a site, pointed at
  // the temp dir.
  const main = `daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 256; }
http {
    client_body_temp_path ${dir}/body;
    proxy_temp_path ${dir}/proxy;
    fastcgi_temp_path ${dir}/fastcgi;
    uwsgi_temp_path ${dir}/uwsgi;
    scgi_temp_path ${dir}/scgi;
    access_log ${dir}/other.access.log;
    include ${dir}/jigsync.conf;
}
`;
  await writeFile(path.join(dir, 'nginx.conf'), main);
  const child = spawn(nginxProgram(), ['-p', dir, '-c', path.join(dir, 'nginx.conf')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const ca = await readFile(cert);
  const httpsUrl = `https://127.0.0.1:${tlsPort}`;
  const proxy = {
    httpsUrl,
    httpUrl: `http://127.0.0.1:${plainPort}`,
    ca,
    accessLog: () => readFile(accessLog, 'utf8'),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
  const fetchTls = tlsFetch(ca);
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await fetchTls(`${httpsUrl}/healthz`);
      if (res.ok) return proxy;
    } catch (err) {
      if (child.exitCode !== null || attempt > 100) {
        await proxy.stop();
        throw new Error(`nginx did not answer on ${httpsUrl}: ${err.message}\n${stderr}`);
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * A fetch for the client library's `fetch` option that trusts `ca` (Node's
 * own fetch takes no certificate): string bodies, JSON and text answers.
 */
export function tlsFetch(ca) {
  return (url, { method = 'GET', headers = {}, body } = {}) =>
    new Promise((resolve, reject) => {
      const req = https.request(url, { method, headers, ca }, (res) => {
        const chunks = [];
        res.on('data', (chunk) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({
            ok: res.statusCode >= 200 && res.statusCode < 300,
            status: res.statusCode,
            headers: res.headers,
            text: async () => text,
            json: async () => JSON.parse(text),
          });
        });
      });
      req.on('error', reject);
      req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
      if (body !== undefined) req.write(body);
      req.end();
    });
}

/** A WebSocket class for the client library's `WebSocket` option that trusts `ca`. */
export function tlsWebSocket(ca) {
  return class TlsWebSocket extends WebSocket {
    constructor(url, protocols) {
      super(url, protocols, { ca });
    }
  };
}
