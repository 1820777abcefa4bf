import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** A process holding a listening socket. */
export interface PortHolder {
  pid: number;
  /** Its process group, which tells whether it is one of the stack's children (each leads a group of its own). */
  pgid: number | null;
  /** Its command line, shortened. */
  command: string;
}

/** A socket listening on a port, with the processes that hold it (none listed: not visible to this user). */
export interface Listener {
  inode: string;
  holders: PortHolder[];
}

/**
 * Local addresses, as /proc/net/tcp and tcp6 write them, whose listeners take 127.0.0.1:port:
 * 127.0.0.1 and 0.0.0.0, and in tcp6 :: and ::ffff:127.0.0.1 (where Java listens when told 127.0.0.1).
 */
const LOOPBACK_OR_ANY = new Set(['0100007F', '00000000', '00000000000000000000000000000000', '0000000000000000FFFF00000100007F']);
const LISTEN = '0A';

function readText(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/**
 * The sockets listening on `port` at 127.0.0.1 or every address, read from /proc/net/tcp and tcp6,
 * and who holds each (found through the /proc/PID/fd links this user can read). Null where there is
 * no /proc to read (not Linux): then nobody can be named.
 */
export function tcpListeners(port: number): Listener[] | null {
  const tables = ['/proc/net/tcp', '/proc/net/tcp6'].map(readText).filter((text): text is string => text !== null);
  if (tables.length === 0) return null;
  const inodes = new Set<string>();
  for (const table of tables) {
    for (const line of table.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10 || fields[3] !== LISTEN) continue;
      const [address, portHex] = (fields[1] ?? '').split(':');
      if (!address || !portHex || Number.parseInt(portHex, 16) !== port || !LOOPBACK_OR_ANY.has(address)) continue;
      const inode = fields[9];
      if (inode && inode !== '0') inodes.add(inode);
    }
  }
  if (inodes.size === 0) return [];
  const holders = socketHolders(inodes);
  return [...inodes].map((inode) => ({ inode, holders: holders.get(inode) ?? [] }));
}

/** Which processes hold which of these socket inodes: every /proc/PID/fd this user may read. */
function socketHolders(inodes: Set<string>): Map<string, PortHolder[]> {
  const links = new Map([...inodes].map((inode) => [`socket:[${inode}]`, inode]));
  const found = new Map<string, PortHolder[]>();
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((entry) => /^\d+$/.test(entry));
  } catch {
    return found;
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // another user's process, or gone
    }
    for (const fd of fds) {
      let link: string;
      try {
        link = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const inode = links.get(link);
      if (!inode) continue;
      const list = found.get(inode) ?? [];
      if (!list.some((holder) => holder.pid === Number(pid))) list.push(processInfo(Number(pid)));
      found.set(inode, list);
    }
  }
  return found;
}

/** A process's group and command line, from /proc. */
export function processInfo(pid: number): PortHolder {
  const cmdline = (readText(`/proc/${pid}/cmdline`) ?? '').split('\0').filter(Boolean).join(' ');
  const stat = readText(`/proc/${pid}/stat`) ?? '';
  // pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses, so count from the last ')'.
  const pgrp = Number(stat.slice(stat.lastIndexOf(')') + 1).trim().split(/\s+/)[2]);
  const command = cmdline.length > 160 ? `${cmdline.slice(0, 160)}…` : cmdline || '(command line not readable)';
  return { pid, pgid: Number.isInteger(pgrp) ? pgrp : null, command };
}

/** Who listens on `port`, in words: "pid 123 (python3 -m http.server 8080)", or why that cannot be said. */
export function describeHolders(port: number, listeners: Listener[] | null = tcpListeners(port)): string {
  if (listeners === null) return `another program (\`lsof -nP -iTCP:${port} -sTCP:LISTEN\` names it)`;
  const holders = listeners.flatMap((listener) => listener.holders);
  if (holders.length > 0) return holders.map((holder) => `pid ${holder.pid} (${holder.command})`).join(', ');
  if (listeners.length > 0) return `another user's program (\`sudo ss -ltnp 'sport = :${port}'\` names it)`;
  return 'another program (bound there, not listening)';
}

export type PortOwner = { state: 'ours' } | { state: 'free' } | { state: 'foreign'; holders: string } | { state: 'unknown' };

/**
 * Whether `port` is served by the process group `pgid` (a child the stack started, and what that
 * child started): `foreign` when another program listens there instead or as well, `unknown` where
 * this system cannot tell (no /proc, or only sockets whose holders it may not see: the ports were
 * checked free before start, so those are not taken for another program's).
 */
export function portOwner(port: number, pgid: number): PortOwner {
  const listeners = tcpListeners(port);
  if (listeners === null) return { state: 'unknown' };
  if (listeners.length === 0) return { state: 'free' };
  const seen = listeners.filter((listener) => listener.holders.length > 0);
  if (seen.length === 0) return { state: 'unknown' };
  const foreign = seen.filter((listener) => !listener.holders.some((holder) => holder.pgid === pgid));
  if (foreign.length === 0) return { state: 'ours' };
  return { state: 'foreign', holders: describeHolders(port, foreign) };
}
