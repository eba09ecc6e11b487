// The process tree of code-server, read from /proc: the restart step of the e2e run checks that quitting
// code-server leaves none of it behind (the extension's `stitch serve` child and its trainers included).
import fs from 'node:fs';

/** [pid, parent pid, command line] of every process readable now. */
function processes() {
  const out = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // The parent is the 2nd field after the command name, which is in parentheses and may hold spaces.
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const cmd = fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').join(' ').trim();
      out.push({ pid: Number(name), ppid, cmd });
    } catch {
      // The process ended while it was being read.
    }
  }
  return out;
}

/** `root` and its descendants, each with its command line. */
export function processTree(root) {
  const all = processes();
  const found = all.filter((p) => p.pid === root);
  let frontier = [root];
  while (frontier.length) {
    const next = all.filter((p) => frontier.includes(p.ppid));
    found.push(...next);
    frontier = next.map((p) => p.pid);
  }
  return found;
}

/** Those of `list` that still run (the same pid with the same command line: not a reused pid). */
export function stillRunning(list) {
  const now = new Map(processes().map((p) => [p.pid, p.cmd]));
  return list.filter((p) => now.get(p.pid) === p.cmd);
}
