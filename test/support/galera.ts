// A throwaway 3-node MariaDB Galera cluster on loopback for the cluster suite (test/cluster): fresh datadirs
// in a temporary folder, `mariadb-install-db`, node 1 bootstrapped with --wsrep-new-cluster, the others
// joined one at a time by rsync SST. Every mariadbd runs as the `mysql` user (a root-run rsync SST fails
// with "Permission denied" on ibdata1) in a process group of its own, so stop() and kill() signal exactly
// the processes this harness started (and the SST helpers they spawned), never the machine's own MariaDB.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';

export const GALERA_PROVIDER = '/usr/lib/galera/libgalera_smm.so';

export interface GaleraNode {
  /** 1, 2 or 3. */
  index: number;
  port: number;
  gcommPort: number;
  datadir: string;
  socket: string;
  errorLog: string;
  /** The running mariadbd, or null while the node is down. */
  process: ChildProcess | null;
}

export interface GaleraClusterOptions {
  /** First SQL port (default 3407: nodes on 3407–3409). */
  basePort?: number;
  /** First group-communication port (default 4667: 4667–4669); IST and SST listen 100 and 200 above. */
  baseGcommPort?: number;
  /** How long a node may take to become ready (default 90 s). */
  readyTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface NodeStatus {
  ready: boolean;
  clusterSize: number;
  state: string;
}

/** Is the Galera provider installed? (`apt-get install galera-4 rsync` when not.) */
export function galeraInstalled(): boolean {
  return existsSync(GALERA_PROVIDER) && spawnSync('rsync', ['--version'], { stdio: 'ignore' }).status === 0;
}

/**
 * Installs galera-4 and rsync from Debian when they are missing and we may (root); true when they are
 * there afterwards. CI (.ci/run) installs them up front; this serves a developer's fresh machine.
 */
export function ensureGaleraInstalled(log: (line: string) => void = (line) => console.warn(line)): boolean {
  if (galeraInstalled()) return true;
  if (process.getuid?.() !== 0) return false;
  log('[tests] installing galera-4 and rsync (apt-get)');
  const run = (args: string[]) => spawnSync('apt-get', args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } }).status === 0;
  if (!run(['install', '-y', 'galera-4', 'rsync'])) run(['update']) && run(['install', '-y', 'galera-4', 'rsync']);
  return galeraInstalled();
}

function mysqlIds(): { uid: number; gid: number } {
  const out = spawnSync('id', ['mysql'], { encoding: 'utf8' });
  const uid = /uid=(\d+)/.exec(out.stdout)?.[1];
  const gid = /gid=(\d+)/.exec(out.stdout)?.[1];
  if (out.status !== 0 || !uid || !gid) throw new Error('The cluster harness needs a `mysql` system user (it comes with mariadb-server)');
  return { uid: Number(uid), gid: Number(gid) };
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class GaleraCluster {
  readonly nodes: GaleraNode[];
  readonly baseDir: string;
  private readonly addresses: string;
  private readonly readyTimeoutMs: number;
  private readonly log: (line: string) => void;
  private readonly ids = mysqlIds();

  constructor(options: GaleraClusterOptions = {}) {
    const basePort = options.basePort ?? Number(process.env.COMPLAINTS_GALERA_PORT ?? 3407);
    const baseGcomm = options.baseGcommPort ?? Number(process.env.COMPLAINTS_GALERA_GCOMM_PORT ?? 4667);
    this.readyTimeoutMs = options.readyTimeoutMs ?? 90_000;
    this.log = options.log ?? (() => undefined);
    this.baseDir = mkdtempSync(join(tmpdir(), 'cmp-galera-'));
    // The mysql user must reach its datadir through this folder.
    chmodSync(this.baseDir, 0o755);
    this.nodes = [1, 2, 3].map((index) => {
      const dir = join(this.baseDir, `node${index}`);
      return {
        index,
        port: basePort + index - 1,
        gcommPort: baseGcomm + index - 1,
        datadir: join(dir, 'data'),
        socket: join(dir, 'mysqld.sock'),
        errorLog: join(dir, 'error.log'),
        process: null,
      };
    });
    this.addresses = this.nodes.map((n) => `127.0.0.1:${n.gcommPort}`).join(',');
  }

  /** mysql://root@127.0.0.1:<port>/<database> for node 1, 2 or 3. */
  url(index: number, database: string): string {
    return `mysql://root@127.0.0.1:${this.node(index).port}/${database}`;
  }

  node(index: number): GaleraNode {
    const node = this.nodes[index - 1];
    if (!node) throw new Error(`No node ${index}`);
    return node;
  }

  /** Creates the datadirs and brings the three nodes up, one after the other; resolves once all are synced. */
  async start(): Promise<void> {
    for (const node of this.nodes) {
      for (const port of [node.port, node.gcommPort, node.gcommPort + 100, node.gcommPort + 200]) {
        if (!(await portFree(port)))
          throw new Error(`Port ${port} is in use: is another Galera test cluster still running? (ports ${this.nodes[0]!.port}–${this.nodes[2]!.port})`);
      }
    }
    for (const node of this.nodes) this.prepare(node);
    await this.launch(this.node(1), true);
    await this.waitReady(this.node(1), 1);
    // Root over TCP from 127.0.0.1 for the tests' pools; node 2 and 3 receive it with their SST.
    await this.admin(1, "CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY ''; GRANT ALL ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION");
    // Both join at once: the second keeps asking for a donor until one is free (node 2 once synced).
    await this.launch(this.node(2), false);
    await this.launch(this.node(3), false);
    await Promise.all([this.waitReady(this.node(2), 2), this.waitReady(this.node(3), 2)]);
    await this.waitClusterSize(3);
  }

  private prepare(node: GaleraNode): void {
    const dir = join(node.datadir, '..');
    mkdirSync(node.datadir, { recursive: true });
    for (const d of [dir, node.datadir]) chownSync(d, this.ids.uid, this.ids.gid);
    writeFileSync(join(dir, 'my.cnf'), this.config(node));
    // Only the bootstrap node needs system tables: the others receive node 1's datadir by SST.
    if (node.index === 1) {
      const init = spawnSync(
        'mariadb-install-db',
        [
          '--no-defaults',
          '--user=mysql',
          `--datadir=${node.datadir}`,
          '--auth-root-authentication-method=normal',
          '--skip-test-db',
          '--innodb-buffer-pool-size=64M',
        ],
        { encoding: 'utf8' },
      );
      if (init.status !== 0) throw new Error(`mariadb-install-db failed for node ${node.index}: ${init.stderr || init.stdout}`);
    }
  }

  private config(node: GaleraNode): string {
    const provider = [
      `gmcast.listen_addr=tcp://127.0.0.1:${node.gcommPort}`,
      `ist.recv_addr=127.0.0.1:${node.gcommPort + 100}`,
      'gcache.size=128M',
      // A SIGKILLed node is noticed in a few seconds rather than the default 15, so the survivors'
      // commits stall only briefly.
      'evs.keepalive_period=PT0.5S',
      'evs.suspect_timeout=PT3S',
      'evs.inactive_timeout=PT6S',
      'evs.inactive_check_period=PT0.5S',
      'pc.recovery=false',
    ].join(';');
    return [
      '[mariadbd]',
      'user=mysql',
      `datadir=${node.datadir}`,
      `socket=${node.socket}`,
      `pid-file=${join(node.datadir, '..', 'mysqld.pid')}`,
      `log-error=${node.errorLog}`,
      `port=${node.port}`,
      'bind-address=127.0.0.1',
      'skip-name-resolve',
      'performance_schema=OFF',
      'max_connections=400',
      'innodb_buffer_pool_size=64M',
      'innodb_log_file_size=32M',
      'innodb_flush_log_at_trx_commit=2',
      'default_storage_engine=InnoDB',
      'binlog_format=ROW',
      'innodb_autoinc_lock_mode=2',
      'character-set-server=utf8mb4',
      'collation-server=utf8mb4_unicode_ci',
      'wsrep_on=ON',
      `wsrep_provider=${GALERA_PROVIDER}`,
      'wsrep_cluster_name=cmp_test_cluster',
      `wsrep_cluster_address=gcomm://${this.addresses}`,
      `wsrep_node_name=node${node.index}`,
      `wsrep_node_address=127.0.0.1:${node.gcommPort}`,
      `wsrep_node_incoming_address=127.0.0.1:${node.port}`,
      `wsrep_provider_options="${provider}"`,
      `wsrep_sst_receive_address=127.0.0.1:${node.gcommPort + 200}`,
      'wsrep_sst_method=rsync',
      'wsrep_slave_threads=2',
      '',
    ].join('\n');
  }

  private async launch(node: GaleraNode, bootstrap: boolean): Promise<void> {
    if (bootstrap) {
      // A restarted bootstrap node must be marked safe to bootstrap (it may not have been the last to leave).
      const grastate = join(node.datadir, 'grastate.dat');
      if (existsSync(grastate)) writeFileSync(grastate, readFileSync(grastate, 'utf8').replace(/safe_to_bootstrap:\s*0/, 'safe_to_bootstrap: 1'));
    }
    const args = [`--defaults-file=${join(node.datadir, '..', 'my.cnf')}`, ...(bootstrap ? ['--wsrep-new-cluster'] : [])];
    this.log(`starting node ${node.index}${bootstrap ? ' (bootstrap)' : ''}`);
    // detached: a process group of its own, which kill() and stop() signal as a whole (the SST scripts
    // and the rsync daemon a joining node spawns belong to it too).
    const child = spawn('/usr/sbin/mariadbd', args, { detached: true, stdio: 'ignore' });
    node.process = child;
    running.add(child);
    child.once('exit', () => {
      running.delete(child);
      if (node.process === child) node.process = null;
    });
  }

  /** Runs SQL as root through the node's socket (multiple statements allowed). */
  async admin(index: number, sql: string): Promise<unknown> {
    const conn = await mysql.createConnection({ socketPath: this.node(index).socket, user: 'root', multipleStatements: true });
    try {
      const [rows] = await conn.query(sql);
      return rows;
    } finally {
      await conn.end();
    }
  }

  /** wsrep_ready, cluster size and local state of one node (throws when it does not answer). */
  async status(index: number): Promise<NodeStatus> {
    const rows = (await this.admin(
      index,
      "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_ready', 'wsrep_cluster_size', 'wsrep_local_state_comment')",
    )) as Array<{
      Variable_name: string;
      Value: string;
    }>;
    const v = Object.fromEntries(rows.map((r) => [r.Variable_name, r.Value]));
    return { ready: v.wsrep_ready === 'ON', clusterSize: Number(v.wsrep_cluster_size ?? 0), state: String(v.wsrep_local_state_comment ?? '') };
  }

  /** Waits until the node answers, is ready and synced, and sees at least `size` members. */
  async waitReady(node: GaleraNode, size: number): Promise<void> {
    const deadline = Date.now() + this.readyTimeoutMs;
    let last = 'not started';
    while (Date.now() < deadline) {
      if (!node.process) throw new Error(`node ${node.index} exited while starting; its log:\n${this.tail(node)}`);
      try {
        const s = await this.status(node.index);
        last = JSON.stringify(s);
        if (s.ready && s.state === 'Synced' && s.clusterSize >= size) {
          this.log(`node ${node.index} ready: ${last}`);
          return;
        }
      } catch (err) {
        last = (err as Error).message;
      }
      await sleep(250);
    }
    throw new Error(`node ${node.index} not ready after ${this.readyTimeoutMs} ms (${last}); its log:\n${this.tail(node)}`);
  }

  /** Waits until every running node reports this cluster size. */
  async waitClusterSize(size: number, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const sizes = await Promise.all(
        this.nodes
          .filter((n) => n.process)
          .map((n) =>
            this.status(n.index).then(
              (s) => (s.ready ? s.clusterSize : -1),
              () => -1,
            ),
          ),
      );
      if (sizes.every((s) => s === size)) return;
      if (Date.now() > deadline) throw new Error(`cluster size never became ${size} (nodes report ${sizes.join(', ')})`);
      await sleep(250);
    }
  }

  /** SIGKILLs one node's mariadbd (and its process group): a crash, no clean leave. */
  async kill(index: number): Promise<void> {
    const node = this.node(index);
    const child = node.process;
    if (!child?.pid) return;
    this.log(`SIGKILL node ${index} (pid ${child.pid})`);
    const exited = new Promise((r) => child.once('exit', r));
    signalGroup(child.pid, 'SIGKILL');
    await exited;
  }

  /** Starts a node that was killed or stopped; it rejoins (IST from the others' cache) and syncs. */
  async restart(index: number): Promise<void> {
    const node = this.node(index);
    if (node.process) throw new Error(`node ${index} is still running`);
    await this.launch(node, false);
    await this.waitReady(node, this.nodes.filter((n) => n.process).length);
  }

  /** How the node last joined: 'IST', 'SST' or 'unknown', from its error log. */
  joinMethod(index: number): 'IST' | 'SST' | 'unknown' {
    const text = this.tail(this.node(index), 400);
    const ist = text.lastIndexOf('IST received');
    const sst = Math.max(text.lastIndexOf('SST succeeded'), text.lastIndexOf('SST received'));
    if (ist < 0 && sst < 0) return 'unknown';
    return ist > sst ? 'IST' : 'SST';
  }

  tail(node: GaleraNode, lines = 40): string {
    try {
      return readFileSync(node.errorLog, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /**
   * Stops the nodes this harness started (SIGTERM to each one's process group, SIGKILL after a grace
   * period) and removes the temporary folder. Other mariadbd processes are never touched.
   */
  async stop(): Promise<void> {
    await Promise.all(
      [...this.nodes].reverse().map(async (node) => {
        const child = node.process;
        if (!child?.pid) return;
        const exited = new Promise((r) => child.once('exit', r));
        signalGroup(child.pid, 'SIGTERM');
        const timer = setTimeout(() => signalGroup(child.pid!, 'SIGKILL'), 20_000);
        await exited;
        clearTimeout(timer);
      }),
    );
    rmSync(this.baseDir, { recursive: true, force: true });
  }
}

// Whatever way the test process ends (mocha's exit, an uncaught error), the nodes it started go with it.
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) if (child.pid) signalGroup(child.pid, 'SIGKILL');
});

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}
