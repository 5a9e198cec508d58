/**
 * The nginx configuration in front of N app instances: the one source of the block `docs/deploy.md` shows (a test
 * holds the page to it) and of the configuration the two-instance tests and the soak run.
 *
 * - Round robin, no affinity: every instance serves any request of any launch (the state is in PostgreSQL).
 * - `max_fails`/`fail_timeout`: an instance that stopped answering is left out for a while instead of being tried
 *   by every request; `proxy_next_upstream error timeout http_503` sends a request that could not reach an instance,
 *   or that an instance still starting answered 503, to the next one. nginx never re-sends a POST that reached an
 *   instance (non-idempotent requests are not retried unless told to), so a filing is never sent twice by the proxy:
 *   the clinician's retry and the write ledger finish it.
 * - The access log names method, path without the query string, status, the instance and the time: the callback's
 *   query carries the authorization code and state, which must not reach a log.
 */
export interface NginxSite {
  /** `host:port` of each app instance. */
  upstreams: readonly string[];
  /** The `listen` parameters, e.g. `443 ssl` or `127.0.0.1:8080`. */
  listen: string;
  serverName: string;
  accessLog: string;
  /** Directives added inside `location /` (tests: a response header naming the instance that answered). */
  extraLocation?: readonly string[];
}

const indent = (lines: readonly string[], depth: number): string[] => lines.map((line) => `${'    '.repeat(depth)}${line}`);

/** The `http`-context part: log format, upstream and server (what a site puts in `conf.d/`). */
export function nginxSiteConfig(site: NginxSite): string {
  return [
    "log_format itdd '$remote_addr [$time_local] \"$request_method $uri\" $status $upstream_addr $request_time';",
    'upstream itdd {',
    ...indent(site.upstreams.map((u) => `server ${u} max_fails=2 fail_timeout=10s;`), 1),
    '}',
    'server {',
    ...indent([
      `listen ${site.listen};`,
      `server_name ${site.serverName};`,
      'client_max_body_size 256k;',
      `access_log ${site.accessLog} itdd;`,
      'location / {',
      ...indent([
        'proxy_pass http://itdd;',
        'proxy_set_header Host $host;',
        'proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;',
        'proxy_set_header X-Forwarded-Proto $scheme;',
        'proxy_next_upstream error timeout http_503;',
        'proxy_read_timeout 60s;',
        ...(site.extraLocation ?? []),
      ], 1),
      '}',
    ], 1),
    '}',
  ].join('\n');
}

/**
 * A whole `nginx.conf` for a foreground nginx whose every file (pid, logs, temporary bodies) is inside `dir`, so
 * it runs as an ordinary child process beside nothing else and leaves nothing behind when `dir` is removed.
 */
export function nginxMainConfig(dir: string, site: NginxSite): string {
  return [
    'daemon off;',
    'worker_processes 1;',
    `pid ${dir}/nginx.pid;`,
    `error_log ${dir}/error.log warn;`,
    'events { worker_connections 1024; }',
    'http {',
    ...indent([
      `client_body_temp_path ${dir}/client_body;`,
      `proxy_temp_path ${dir}/proxy;`,
      `fastcgi_temp_path ${dir}/fastcgi;`,
      `uwsgi_temp_path ${dir}/uwsgi;`,
      `scgi_temp_path ${dir}/scgi;`,
      ...nginxSiteConfig(site).split('\n'),
    ], 1),
    '}',
    '',
  ].join('\n');
}
