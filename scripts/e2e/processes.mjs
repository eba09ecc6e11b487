// The process tree of code-server, read from /proc: the restart step of the e2e run checks that quitting
// code-server leaves none of it behind (the extension's `stitch serve` child and its trainers included).
import fs from 'node:fs';

/** [pid, parent pid, command line] of every process readable now. */
function processes() {
  const out = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // State, parent and process group follow the command name, which is in parentheses and may hold spaces.
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const [state, ppid, pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (state === 'Z') continue; // exited, waiting for its parent to reap it
      const cmd = fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').join(' ').trim();
      out.push({ pid: Number(name), ppid: Number(ppid), pgrp: Number(pgrp), cmd });
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

/** The processes of a process group (code-server is spawned detached: its group has its pid). */
export function processGroup(pgrp) {
  return processes().filter((p) => p.pgrp === pgrp);
}

/** Those of `list` that still run (the same pid with the same command line: not a reused pid). */
export function stillRunning(list) {
  const now = new Map(processes().map((p) => [p.pid, p.cmd]));
  return list.filter((p) => now.get(p.pid) === p.cmd);
}
