#!/bin/sh
# shellcheck shell=sh
# SC2016: awk programs are single-quoted on purpose. SC2015: `a && b || fail` means "any step failed".
# shellcheck disable=SC2016,SC2015
# benteng agent: the server side of `benteng deploy`, `rollback` and `status` (see docs/deploy.md).
#
# Usage: agent.sh VERB STATE_DIR ARGS...
#   deploy verbs (run from <state>/agent.sh, uploaded by the deploy):
#     begin ID LEASE BACKEND          take the deploy lock (recovering whatever a crash left first)
#     put ID                          stage the framed ruleset files read from stdin
#     apply ID TIMEOUT TIMER ACTION COMMIT NFT_PATH NFT_CONF V4_PATH V6_PATH
#                                     check, prepare the rollback, arm the timer, apply
#     confirm ID                      the deploy is kept: persist for boot, record history
#     abort ID                        give up a deploy before apply
#     timer ID                        the rollback timer (runs detached; started by apply)
#     boot | recover                  finish or roll back whatever a crash or reboot left behind
#                                     (boot also re-adds unexpired dynamic blocks)
#     block BACKEND TTL               add dynamic blocks (stdin: "reason TEXT", then one address per line)
#     unblock BACKEND                 remove dynamic blocks (stdin: one address per line)
#   read-only verbs (also run inline with `sh -c`, so they upload and change nothing):
#     result ID BACKEND | live BACKEND | render BACKEND (files on stdin) | status BACKEND N | previous
#     blocks BACKEND                  active dynamic blocks (kernel sets) and the block registry
#     drops SINCE                     drop-log lines of the last SINCE seconds (journal or dmesg)
#
# The state machine (docs/deploy.md has the diagram and the crash table). Every transition runs under
# one flock(1) on <state>/mutex, so two agents never interleave; each state is a directory whose name
# is the state, and a transition is one rename(2), which is atomic and needs no free space:
#   lock/ + tx.ID/ (locked, staged) -> pending.ID/ (armed; file `applying`, renamed `applied`)
#   -> rollback.REASON.ID/ -> rolled-back.REASON.ID/ | rollback-failed.REASON.ID/
#   -> confirming.ID/ -> confirmed.ID/ | confirmed-not-persisted.ID/
#   then the audit record is appended and the directory removed (a failed append leaves the
#   directory, which is itself the record, until the next agent call appends it).
# The timer holds an flock on pending.ID/alive for its whole life: a free `alive` lock means no timer.
# Timers count elapsed time on /proc/uptime (monotonic, immune to clock steps), and start counting only
# when the apply has finished (the apply holds the mutex, the timer waits for it).
# A rollback writes nothing: the restore is streamed from files written and verified before apply.
#
# Output is `key=value` lines plus blocks framed by `--- benteng:begin NAME` / `--- benteng:end NAME`.
# Every argument is checked against a narrow character class; ruleset text is only ever data.
umask 077
PATH=${BENTENG_AGENT_PATH_PREFIX:+$BENTENG_AGENT_PATH_PREFIX:}/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
LC_ALL=C
export PATH LC_ALL
verb=$1
state=$2
[ $# -ge 2 ] || { echo "error=usage: agent.sh VERB STATE_DIR"; exit 64; }
shift 2

fail() { code=$1; shift; printf 'error=%s\n' "$*"; exit "$code"; }
safe() { case $1 in ''|*[!A-Za-z0-9._:/-]*) fail 64 "bad argument: $1";; esac; }
safe_word() { case $1 in ''|*[!A-Za-z0-9._-]*) fail 64 "bad argument: $1";; esac; }
iso() { date -u +%Y-%m-%dT%H:%M:%SZ; }
# Centiseconds since boot (CLOCK_BOOTTIME): all deadlines and leases use this, never the wall clock.
mono() { read -r up _ < /proc/uptime; cs=${up%.*}${up#*.}; echo $((cs + 0)); }
boot_id() { cat /proc/sys/kernel/random/boot_id 2>/dev/null || echo unknown; }
block() { printf -- '--- benteng:begin %s\n' "$1"; [ -f "$2" ] && cat "$2"; printf -- '--- benteng:end %s\n' "$1"; }
hash_of() { sha256sum < "$1" | cut -d' ' -f1; }
sane_user() { case $1 in ''|*[!a-z0-9_-]*) echo unknown;; *) echo "$1";; esac; }
sane_addr() { case $1 in ''|*[!0-9A-Fa-f.:]*) echo unknown;; *) echo "$1";; esac; }
one_line() { tr '\n\t' '  ' | tr -d '\000-\037"\134' | head -c 1500 | sed 's/ *$//'; }
# Test hook: BENTENG_AGENT_CRASH_AT=NAME kills the agent at that step (docs/deploy.md, crash table).
crash_point() { [ "${BENTENG_AGENT_CRASH_AT:-}" = "$1" ] && kill -9 $$; return 0; }
who_user=$(sane_user "${BENTENG_SSH_USER:-}")
who_client=$(sane_addr "${BENTENG_CLIENT:-}")

safe "$state"

# ---- canonical listings (what hashes, status and dry-run diffs compare) ----
# nft: our table without the dynamic blocklist elements.
STRIP_BLOCKLIST='
/^[ \t]*set blocklist_v[46] \{/ { inset = 1 }
inset && /^[ \t]*\}[ \t]*$/ { inset = 0 }
inset && /elements = \{/ { skipping = 1 }
skipping { if ($0 ~ /\}/) skipping = 0; next }
{ print }'
# iptables-save -> the BENTENG chains and the hooks into them, without counters. (Dynamic blocks live
# in the ipsets benteng-block-v4/v6, not in the chains, so every chain line is policy.)
# A hook is printed with its position in its chain: a rule inserted before it shows as drift.
IPT_CANON='
function emit(l) { if (!shown) { print table; shown = 1 } print l }
/^# benteng:/ { print; next }
/^\*/ { table = $0; shown = 0; split("", pos); next }
/^:BENTENG-/ { emit($1 " -"); next }
/^-A BENTENG-/ { emit($0); next }
/^-A / { pos[$2]++; if ($0 ~ / -[jg] BENTENG-/) emit("[" pos[$2] "] " $0); next }'
# iptables-save -> only our chains and hooks (the copy a rollback restores). Linear: streams.
IPT_SAVED='
/^\*/ { table = $0; shown = 0; next }
/^:BENTENG-/ || /^-A BENTENG-/ || (/^-A / && / -[jg] BENTENG-/) {
  if (!shown) { print table; shown = 1 }
  if ($0 ~ /^:/) print $1 " - [0:0]"; else print
  next
}
/^COMMIT/ { if (shown) print "COMMIT"; shown = 0 }'
# stdin: live iptables-save, a line "#benteng-split", then a ruleset of our chains (new or saved).
# stdout: one iptables-restore --noflush input that replaces every BENTENG chain and hook with the
# ruleset's and deletes chains the ruleset no longer has. Linear.
IPT_MERGE='
!part2 && /^#benteng-split$/ { part2 = 1; next }
!part2 {
  if ($0 ~ /^\*/) { t = substr($0, 2); next }
  if ($0 ~ /^:BENTENG-/) { c = substr($1, 2); nold[t]++; old[t, nold[t]] = c; tables[t] = 1; next }
  if ($0 ~ /^-A / && $0 !~ /^-A BENTENG-/ && $0 ~ / -[jg] BENTENG-/) { l = $0; sub(/^-A /, "-D ", l); njump[t]++; jump[t, njump[t]] = l; tables[t] = 1 }
  next
}
function preamble() {
  if (done[t]) return
  done[t] = 1
  for (i = 1; i <= nold[t]; i++) if (!declared[t, old[t, i]]) printf ":%s - [0:0]\n", old[t, i]
  for (i = 1; i <= njump[t]; i++) print jump[t, i]
  for (i = 1; i <= nold[t]; i++) if (!declared[t, old[t, i]]) printf "-X %s\n", old[t, i]
}
/^\*/ { t = substr($0, 2); seen[t] = 1; print; next }
/^:/ { declared[t, substr($1, 2)] = 1; print; next }
/^COMMIT/ { preamble(); print "COMMIT"; next }
/^#/ || /^[ \t]*$/ { next }
{ preamble(); print }
END {
  for (t in tables) if (!seen[t]) { printf "*%s\n", t; preamble(); print "COMMIT" }
}'
# `nft list set` -> one "add element" command for its elements (if any). Linear: streams.
ELEMENTS='
/elements = \{/ { on = 1; sub(/.*elements = \{/, ""); printf "add element inet benteng %s {", name; any = 1 }
on { line = $0; if (line ~ /\}/) { sub(/\}.*/, "", line); on = 0 } gsub(/\t/, " ", line); printf " %s", line }
END { if (any) print " }" }'

ipt_save() { if [ "$1" = v4 ]; then iptables-save 2>/dev/null; else ip6tables-save 2>/dev/null; fi; }
ipt_restore() { fam=$1; shift; if [ "$fam" = v4 ]; then iptables-restore "$@"; else ip6tables-restore "$@"; fi; }
# merge FAMILY RULESET_FILE: the restore input replacing our live chains with the file's.
ipt_merge() { { ipt_save "$1"; echo '#benteng-split'; cat "$2"; } | awk "$IPT_MERGE"; }

nft_canon() { if nft list table inet benteng >/dev/null 2>&1; then nft -s list table inet benteng | awk "$STRIP_BLOCKLIST"; fi; }
ipt_canon() { { echo '# benteng:ipv4'; ipt_save v4; echo '# benteng:ipv6'; ipt_save v6; } | awk "$IPT_CANON"; }
canon_live() { case $1 in nftables) nft_canon ;; iptables) ipt_canon ;; esac; }

nft_prefix() { printf 'table inet benteng {}\ndelete table inet benteng\n'; }
# Live blocklist elements, as "add element" lines, for the sets the ruleset file declares.
nft_blocklist_adds() {
  for set in blocklist_v4 blocklist_v6; do
    grep -q "set $set" "$1" 2>/dev/null || continue
    nft list set inet benteng "$set" 2>/dev/null | awk -v name="$set" "$ELEMENTS"
  done
}

# Loads ruleset files into a scratch network namespace and prints the canonical listing there, so a
# ruleset the kernel rejects is caught without touching the live firewall. Needs nothing on disk.
RENDER_IN_SCRATCH='
b=$1; d=$2
case $b in
  nftables) nft -f "$d/nft" >&2 || exit 1; nft -s list table inet benteng ;;
  iptables)
    if command -v ipset >/dev/null 2>&1; then
      ipset create -exist benteng-block-v4 hash:net family inet timeout 0 && ipset create -exist benteng-block-v6 hash:net family inet6 timeout 0 || exit 1
    fi
    for fam in v4 v6; do
      [ -s "$d/$fam" ] || continue
      if [ $fam = v4 ]; then iptables-restore --noflush "$d/$fam" >&2 || exit 1; else ip6tables-restore --noflush "$d/$fam" >&2 || exit 1; fi
    done
    echo "# benteng:ipv4"; iptables-save; echo "# benteng:ipv6"; ip6tables-save ;;
esac'
render_dir() { # backend dir -> canonical listing on stdout, errors on stderr
  unshare -n sh -c "$RENDER_IN_SCRATCH" render "$1" "$2" > "$2.raw" || { rm -f "$2.raw"; return 1; }
  case $1 in nftables) awk "$STRIP_BLOCKLIST" "$2.raw" ;; iptables) awk "$IPT_CANON" "$2.raw" ;; esac
  rm -f "$2.raw"
}

split_files() { # dir: stdin framed by "--- benteng:file NAME" into DIR/NAME (NAME in nft v4 v6)
  mkdir -p "$1" && awk -v dir="$1" '
    /^--- benteng:file / { if ($3 !~ /^(nft|v4|v6)$/) { bad = 1; exit 1 } if (f != "" && close(f) != 0) { bad = 1; exit 1 } f = dir "/" $3; printf "" > f; next }
    f != "" { print > f }
    END { if (f != "" && close(f) != 0) bad = 1; if (bad) exit 1 }'
}

# ---- the mutex: every state transition holds it ----
take_mutex() {
  mkdir -p "$state" 2>/dev/null || fail 70 "cannot create the state directory $state"
  exec 9>>"$state/mutex" || fail 70 "cannot open $state/mutex"
  flock -w 120 9 || fail 75 "the state directory $state is busy (another agent holds its mutex for 120 s)"
}

# ---- audit ----
audit_line() { # id action outcome reason detail meta-dir
  m=$6
  printf '{"time":"%s","id":"%s","action":"%s","outcome":"%s","reason":"%s","detail":"%s","backend":"%s","user":"%s","client":"%s","commit":"%s","oldHash":"%s","newHash":"%s"}\n' \
    "$(iso)" "$1" "$2" "$3" "$4" "$(printf '%s' "$5" | one_line)" "$(cat "$m/backend" 2>/dev/null)" "$(cat "$m/user" 2>/dev/null || echo "$who_user")" \
    "$(cat "$m/client" 2>/dev/null || echo "$who_client")" "$(cat "$m/commit" 2>/dev/null)" "$(cat "$m/old-hash" 2>/dev/null)" \
    "$(cat "$m/new-hash" 2>/dev/null)"
}
audit() { audit_line "$@" >> "$state/audit.log"; }

# ---- lock ----
lock_owned() { [ "$(cat "$state/lock/id" 2>/dev/null)" = "$1" ] || fail 77 "lock is not held by deploy $1"; }
lock_release() { [ "$(cat "$state/lock/id" 2>/dev/null)" = "$1" ] && rm -rf "$state/lock"; return 0; }
timer_alive() { [ -f "$1/alive" ] && ! flock -n "$1/alive" true; }

# ---- decisions (mutex held) ----
# A rollback streams its restore from files written before apply: it needs no free space.
restore_saved() { # dir
  case $(cat "$1/backend") in
    nftables) { nft_prefix; cat "$1/saved.nft"; nft_blocklist_adds "$1/saved.nft"; } | nft -f - ;;
    iptables)
      rc=0
      for fam in v4 v6; do
        ipt_merge "$fam" "$1/saved.$fam" | ipt_restore "$fam" --noflush || rc=1
      done
      return $rc ;;
  esac
}

# finish DIR: the audit record for an outcome directory, then cleanup. Idempotent.
finish() {
  d=$1; name=$(basename "$d")
  outcome=${name%%.*}; rest=${name#*.}; id=${rest##*.}
  case $rest in *.*) reason=${rest%.*} ;; *) reason=confirmed ;; esac
  detail=$(cat "$d/detail" 2>/dev/null)
  # A crash after the append and before the removal must not record the outcome twice.
  grep -q "\"id\":\"$id\",\"action\":\"[a-z]*\",\"outcome\":\"$outcome\"" "$state/audit.log" 2>/dev/null ||
    audit "$id" "$(cat "$d/action" 2>/dev/null || echo deploy)" "$outcome" "$reason" "$detail" "$d" || return 1
  crash_point audited
  rm -rf "$d"
  lock_release "$id"
}

# decide_rollback ID REASON: called by the timer, a failed apply and recovery; the rename to
# rollback.REASON.ID is the decision (only one caller finds pending.ID).
decide_rollback() {
  mv "$state/pending.$1" "$state/rollback.$2.$1" 2>/dev/null || return 1
  crash_point rollback-decided
  do_rollback "$state/rollback.$2.$1"
}
do_rollback() { # rollback.REASON.ID dir
  d=$1; name=$(basename "$d"); rest=${name#rollback.}
  if err=$(restore_saved "$d" 2>&1); then to=rolled-back; else to=rollback-failed; printf '%s\n' "$err" > "$d/detail" 2>/dev/null; fi
  crash_point restored
  mv "$d" "$state/$to.$rest" || return 1
  finish "$state/$to.$rest"
  return 0
}

persist() { # dir
  d=$1
  read -r nft_path nft_conf v4_path v6_path < "$d/persist-paths" || return 1
  case $(cat "$d/backend") in
    nftables)
      mkdir -p "$(dirname "$nft_path")" && cp "$d/files/nft" "$nft_path.tmp.$$" && mv "$nft_path.tmp.$$" "$nft_path" || { rm -f "$nft_path.tmp.$$"; return 1; }
      if ! grep -qF "include \"$nft_path\"" "$nft_conf" 2>/dev/null; then
        { if [ -f "$nft_conf" ]; then cat "$nft_conf"; else printf '#!/usr/sbin/nft -f\n'; fi; printf 'include "%s"\n' "$nft_path"; } > "$nft_conf.tmp.$$" &&
          mv "$nft_conf.tmp.$$" "$nft_conf" || { rm -f "$nft_conf.tmp.$$"; return 1; }
      fi ;;
    iptables)
      for pair in "v4 $v4_path" "v6 $v6_path"; do
        fam=${pair%% *}; path=${pair#* }
        mkdir -p "$(dirname "$path")" && ipt_save "$fam" > "$path.tmp.$$" && [ -s "$path.tmp.$$" ] && mv "$path.tmp.$$" "$path" || { rm -f "$path.tmp.$$"; return 1; }
      done ;;
  esac
}
persisted_lines() { # dir
  read -r nft_path nft_conf v4_path v6_path < "$1/persist-paths" 2>/dev/null || return 0
  case $(cat "$1/backend") in
    nftables) echo "persisted=$nft_path"; echo "persisted-via=$nft_conf"; echo "boot-unit=nftables.service" ;;
    iptables) echo "persisted=$v4_path"; echo "persisted=$v6_path"; echo "boot-unit=netfilter-persistent.service" ;;
  esac
}
# history/current and history/previous: a failed copy (full disk) keeps the old history intact.
record_history() { # dir
  h="$state/history"; mkdir -p "$h" || return 1
  rm -rf "$h/current.tmp"
  if cp -r "$1/files" "$h/current.tmp" && cp "$1/new-hash" "$1/action" "$1/persist-paths" "$h/current.tmp/"; then
    if [ -d "$h/current" ]; then rm -rf "$h/previous"; mv "$h/current" "$h/previous"; fi
    mv "$h/current.tmp" "$h/current"
  else
    rm -rf "$h/current.tmp"; return 1
  fi
}
# Where systemd runs, a oneshot unit runs `agent.sh boot` before sshd at every boot (best effort;
# without it the next agent call recovers). Linked by hand: no daemon-reload needed for the next boot.
install_boot_unit() {
  systemd_up || return 0
  dir=${BENTENG_AGENT_SYSTEMD_DIR:-/etc/systemd/system}
  unit="$dir/benteng-agent-boot.service"
  text=$(printf '[Unit]\nDescription=benteng: finish or roll back a deploy interrupted by a reboot\nDefaultDependencies=no\nAfter=local-fs.target nftables.service netfilter-persistent.service\nBefore=network-pre.target ssh.service\n\n[Service]\nType=oneshot\nExecStart=/bin/sh %s/agent.sh boot %s\n\n[Install]\nWantedBy=multi-user.target\n' "$state" "$state")
  [ "$(cat "$unit" 2>/dev/null)" = "$text" ] && return 0
  mkdir -p "$dir/multi-user.target.wants" && printf '%s\n' "$text" > "$unit.tmp" && mv "$unit.tmp" "$unit" &&
    ln -sf ../benteng-agent-boot.service "$dir/multi-user.target.wants/benteng-agent-boot.service"
}
do_confirm() { # confirming.ID dir
  d=$1; id=${d##*.}
  to=confirmed
  if ! persist "$d" 2>/dev/null; then to=confirmed-not-persisted; echo "writing the boot files failed (disk full or read-only?)" > "$d/detail" 2>/dev/null; fi
  crash_point persisted
  install_boot_unit 2>/dev/null
  record_history "$d" 2>/dev/null || [ "$to" != confirmed ] || echo "the history copy for rollback could not be written" > "$d/detail" 2>/dev/null
  mv "$d" "$state/$to.$id" || return 1
  crash_point confirm-decided
  finish "$state/$to.$id"
  return 0
}

# recover [boot]: finish every interrupted transition; roll back pending deploys whose timer is gone;
# release a lock whose deploy is dead. At boot (`boot` verb, run before sshd accepts logins) no timer
# and no deploy can be alive, so every pending deploy is rolled back and any lock is released.
# Prints one `recovered=` line per action. Mutex held.
recover() {
  at_boot=${1:-}
  cur_boot=$(boot_id)
  for d in "$state"/rollback.*; do [ -d "$d" ] && do_rollback "$d" && echo "recovered=finished rollback of $(basename "$d")"; done
  for d in "$state"/confirming.*; do [ -d "$d" ] && do_confirm "$d" && echo "recovered=finished confirm of $(basename "$d")"; done
  for d in "$state"/rolled-back.* "$state"/rollback-failed.* "$state"/confirmed.* "$state"/confirmed-not-persisted.*; do
    [ -d "$d" ] && finish "$d" && echo "recovered=recorded $(basename "$d")"
  done
  for d in "$state"/pending.*; do
    [ -d "$d" ] || continue
    [ -z "$at_boot" ] && timer_alive "$d" && continue
    id=${d##*/pending.}
    if [ ! -f "$d/applied" ]; then why=apply-interrupted
    elif [ -n "$at_boot" ] || [ "$(cat "$d/boot" 2>/dev/null)" != "$cur_boot" ]; then why=reboot
    else why=timer-lost; fi
    decide_rollback "$id" "$why" && echo "recovered=rolled back deploy $id ($why)"
  done
  if [ -d "$state/lock" ]; then
    id=$(cat "$state/lock/id" 2>/dev/null)
    lease=$(cat "$state/lock/lease" 2>/dev/null || echo 0)
    why=
    if [ -z "$id" ] || [ ! -f "$state/lock/owner" ]; then why="an incomplete lock"
    elif [ -n "$at_boot" ] || [ "$(cat "$state/lock/boot" 2>/dev/null)" != "$cur_boot" ]; then why="a lock from before the last reboot"
    elif [ ! -d "$state/pending.$id" ] && [ "$(mono)" -gt "$lease" ]; then why="a lock whose deploy stopped before applying (lease expired)"
    fi
    if [ -n "$why" ]; then
      owner=$(one_line 2>/dev/null < "$state/lock/owner")
      [ -n "$id" ] && rm -rf "$state/tx.$id"
      rm -rf "$state/lock"
      audit "${id:-unknown}" lock abandoned lock-taken-over "$why: $owner" /dev/null
      echo "recovered=took over $why: $owner"
    fi
  fi
  for t in "$state"/tx.*; do
    [ -d "$t" ] || continue
    [ "$(cat "$state/lock/id" 2>/dev/null)" = "${t##*/tx.}" ] || rm -rf "$t"
  done
}

# ---- dynamic blocks ----
# nftables: elements of blocklist_v4/v6 with a timeout (the kernel expires them; a deploy carries them
# over). iptables: the ipsets benteng-block-v4/v6 with a timeout (untouched by iptables-restore).
# Every block and unblock is also a line of <state>/blocks.log (fixed field order, read at boot to
# re-add unexpired entries with their remaining time) and an audit record.
IPSET_V4=benteng-block-v4
IPSET_V6=benteng-block-v6
ensure_ipsets() {
  command -v ipset >/dev/null 2>&1 || { echo "ipset is not installed" >&2; return 1; }
  ipset create -exist "$IPSET_V4" hash:net family inet timeout 0 && ipset create -exist "$IPSET_V6" hash:net family inet6 timeout 0
}
set_of() { case $1 in *:*) echo 6 ;; *) echo 4 ;; esac; }
read_addresses() { # stdin lines -> validated list on stdout
  while IFS= read -r a; do
    [ -n "$a" ] || continue
    case $a in *[!0-9A-Fa-f.:/]*|/*) fail 64 "bad address: $a" ;; esac
    case $a in */0) fail 64 "refusing to block /0: $a" ;; esac
    echo "$a"
  done
}
# add_blocks BACKEND TTL ADDRESS... : one transaction (nft) or one ipset restore (iptables)
add_blocks() {
  b=$1; t=$2; shift 2
  case $b in
    nftables)
      for a in "$@"; do
        set_name=blocklist_v$(set_of "$a")
        printf 'add element inet benteng %s { %s timeout %ss }\ndelete element inet benteng %s { %s }\nadd element inet benteng %s { %s timeout %ss }\n' \
          "$set_name" "$a" "$t" "$set_name" "$a" "$set_name" "$a" "$t"
      done | nft -f - ;;
    iptables)
      ensure_ipsets || return 1
      for a in "$@"; do printf 'add -exist benteng-block-v%s %s timeout %s\n' "$(set_of "$a")" "$a" "$t"; done | ipset restore ;;
  esac
}
block_record() { # action address ttl expires reason
  printf '{"time":"%s","action":"%s","address":"%s","ttl":%s,"expires":%s,"reason":"%s","user":"%s","client":"%s"}\n' \
    "$(iso)" "$1" "$2" "$3" "$4" "$5" "$who_user" "$who_client"
}
# Unexpired blocks from the registry: "address seconds-left" lines (the last record per address wins).
registry_active() {
  [ -f "$state/blocks.log" ] || return 0
  awk -v now="$(date +%s)" '
    match($0, /"action":"[a-z]+"/) { act = substr($0, RSTART + 10, RLENGTH - 11) } 
    match($0, /"address":"[^"]+"/) { addr = substr($0, RSTART + 11, RLENGTH - 12) }
    match($0, /"expires":[0-9]+/) { ex = substr($0, RSTART + 10, RLENGTH - 10) }
    { if (!(addr in last)) order[++n] = addr; last[addr] = act; until[addr] = ex }
    END { for (i = 1; i <= n; i++) { a = order[i]; if (last[a] == "block" && until[a] > now) print a, until[a] - now } }' "$state/blocks.log"
}
# At boot: the kernel sets are empty again; re-add what has not expired (wall clock: the only clock a
# reboot keeps). iptables: the ipsets must exist before the boot files that reference them load.
readd_blocks() {
  backend=
  [ -f "$state/history/current/nft" ] && backend=nftables
  { [ -f "$state/history/current/v4" ] || [ -f "$state/history/current/v6" ]; } && backend=iptables
  [ -n "$backend" ] || return 0
  if [ "$backend" = iptables ]; then
    ensure_ipsets 2>/dev/null
    if ! iptables -S BENTENG-INPUT >/dev/null 2>&1 && [ -f "$state/history/current/persist-paths" ]; then
      read -r _ _ v4_path v6_path < "$state/history/current/persist-paths"
      [ -f "$v4_path" ] && iptables-restore < "$v4_path" && echo "recovered=loaded $v4_path (after creating the block ipsets)"
      [ -f "$v6_path" ] && ip6tables-restore < "$v6_path" && echo "recovered=loaded $v6_path"
    fi
  fi
  registry_active | while read -r a left; do
    add_blocks "$backend" "$left" "$a" 2>/dev/null && echo "recovered=re-added block $a for ${left}s"
  done
}

cmd_block() { # backend ttl (stdin: "reason TEXT" then addresses)
  safe_word "$1"; backend=$1; ttl=$2
  case $ttl in ''|*[!0-9]*|0) fail 64 "bad ttl: $ttl (whole seconds, at least 1)" ;; esac
  IFS= read -r first_line || fail 64 "no reason given"
  reason=$(printf '%s' "${first_line#reason }" | one_line)
  [ -n "$reason" ] || fail 64 "no reason given"
  addrs=$(read_addresses) || exit $?
  [ -n "$addrs" ] || fail 64 "no address given"
  take_mutex
  if [ "$backend" = nftables ] && ! nft list set inet benteng blocklist_v4 >/dev/null 2>&1; then
    fail 66 "this host has no benteng ruleset with blocklist sets yet (deploy first)"
  fi
  # shellcheck disable=SC2086
  err=$(add_blocks "$backend" "$ttl" $addrs 2>&1) || fail 65 "the kernel refused the block: $(printf '%s' "$err" | one_line)"
  expires=$(( $(date +%s) + ttl ))
  for a in $addrs; do
    block_record block "$a" "$ttl" "$expires" "$reason" >> "$state/blocks.log" 2>/dev/null || echo "warning=the block is active but could not be recorded (state filesystem full?)"
    echo "added=$a"
  done
  audit_line "block-$(date +%s)" block added "$reason" "$(printf '%s' "$addrs" | tr '\n' ' ')" /dev/null >> "$state/audit.log" 2>/dev/null
  echo "expires-at=$(date -u -d "@$expires" +%Y-%m-%dT%H:%M:%SZ)"
}

cmd_unblock() { # backend (stdin: addresses)
  safe_word "$1"; backend=$1
  addrs=$(read_addresses) || exit $?
  [ -n "$addrs" ] || fail 64 "no address given"
  take_mutex
  for a in $addrs; do
    case $backend in
      nftables)
        set_name=blocklist_v$(set_of "$a")
        if nft get element inet benteng "$set_name" "{ $a }" >/dev/null 2>&1; then
          nft delete element inet benteng "$set_name" "{ $a }" || fail 65 "cannot remove $a"
          echo "removed=$a"
        else echo "absent=$a"; fi ;;
      iptables)
        if ipset test "benteng-block-v$(set_of "$a")" "$a" >/dev/null 2>&1; then
          ipset del -exist "benteng-block-v$(set_of "$a")" "$a" || fail 65 "cannot remove $a"
          echo "removed=$a"
        else echo "absent=$a"; fi ;;
    esac
    block_record unblock "$a" 0 0 "unblock" >> "$state/blocks.log" 2>/dev/null
  done
  audit_line "unblock-$(date +%s)" unblock removed unblock "$(printf '%s' "$addrs" | tr '\n' ' ')" /dev/null >> "$state/audit.log" 2>/dev/null
  return 0
}

cmd_blocks() { # backend (read-only)
  safe_word "$1"
  echo "server-time=$(iso)"
  echo "server-epoch=$(date +%s)"
  case $1 in
    nftables)
      printf -- '--- benteng:begin kernel\n'
      for set_name in blocklist_v4 blocklist_v6; do nft -j list set inet benteng "$set_name" 2>/dev/null; echo; done
      printf -- '--- benteng:end kernel\n' ;;
    iptables)
      printf -- '--- benteng:begin kernel\n'
      for fam in 4 6; do ipset save "benteng-block-v$fam" 2>/dev/null | grep '^add '; done
      printf -- '--- benteng:end kernel\n' ;;
  esac
  printf -- '--- benteng:begin registry\n'; tail -n 5000 "$state/blocks.log" 2>/dev/null; printf -- '--- benteng:end registry\n'
}

# ---- drop log ----
# Lines the rulesets logged (prefix `bt <i|o> <key>: `, see src/build/compiled-host.ts logPrefix) in the
# last SINCE seconds: from the journal where journald runs, else from the kernel ring buffer (dmesg,
# whose timestamps are seconds since boot, compared with /proc/uptime). Only lines whose IN= (input) or
# OUT= (output) interface is one of this host's own: several hosts sharing a kernel (containers, the
# lab's namespaces) share its log. Read-only.
DROP_LINES='
BEGIN { n = split(ifs, list, " "); for (i = 1; i <= n; i++) mine[list[i]] = 1 }
/ bt [io] (default|r[0-9]+): / {
  if (from != "") { t = $0; sub(/^\[ */, "", t); sub(/\].*/, "", t); if (t + 0 < from + 0) next }
  dir = $0; sub(/.* bt /, "", dir); dir = substr(dir, 1, 1)
  iface = $0
  if (dir == "i") { if (!match(iface, / IN=[^ ]*/)) next; iface = substr(iface, RSTART + 4, RLENGTH - 4) }
  else { if (!match(iface, / OUT=[^ ]*/)) next; iface = substr(iface, RSTART + 5, RLENGTH - 5) }
  if (iface in mine) print
}'
cmd_drops() { # since-seconds
  case $1 in ''|*[!0-9]*) fail 64 "bad duration: $1" ;; esac
  echo "server-time=$(iso)"
  ifs=; for f in /sys/class/net/*; do ifs="$ifs ${f##*/}"; done
  if [ -d /run/systemd/journal ] && command -v journalctl >/dev/null 2>&1; then
    echo "log-source=journal"
    printf -- '--- benteng:begin log\n'
    journalctl -k -q --no-pager -o short-iso --since "-$1s" 2>/dev/null | awk -v ifs="$ifs" -v from= "$DROP_LINES" | tail -n 50000
    printf -- '--- benteng:end log\n'
  else
    echo "log-source=dmesg"
    printf -- '--- benteng:begin log\n'
    dmesg 2>/dev/null | awk -v ifs="$ifs" -v from="$(( $(mono) / 100 - $1 ))" "$DROP_LINES" | tail -n 50000
    printf -- '--- benteng:end log\n'
  fi
}

# ---- verbs ----
cmd_begin() { # id lease-seconds backend
  safe_word "$1"; safe_word "$2"; safe_word "$3"
  take_mutex
  recover
  if [ -d "$state/lock" ]; then
    printf 'locked-by=%s\n' "$(cat "$state/lock/owner" 2>/dev/null || echo unknown)"
    exit 75
  fi
  rm -rf "$state/lock.new"
  mkdir "$state/lock.new" &&
    echo "$1" > "$state/lock.new/id" &&
    echo $(($(mono) + $2 * 100)) > "$state/lock.new/lease" && echo "$2" > "$state/lock.new/lease-seconds" &&
    boot_id > "$state/lock.new/boot" &&
    printf 'user=%s client=%s pid=%s since=%s id=%s\n' "$who_user" "$who_client" "$$" "$(iso)" "$1" > "$state/lock.new/owner" &&
    mv "$state/lock.new" "$state/lock" || { rm -rf "$state/lock.new"; fail 70 "cannot write the lock in $state (disk full?)"; }
  crash_point locked
  tx="$state/tx.$1"
  rm -rf "$tx"
  { mkdir "$tx" && echo "$3" > "$tx/backend" && echo "$who_user" > "$tx/user" && echo "$who_client" > "$tx/client"; } ||
    { rm -rf "$tx"; lock_release "$1"; fail 70 "cannot create $tx (disk full?)"; }
  echo "locked=$1"
}

cmd_put() { # id (no mutex: only the lock owner writes its tx directory)
  safe_word "$1"; lock_owned "$1"
  tx="$state/tx.$1"
  rm -rf "$tx/files.tmp"
  split_files "$tx/files.tmp" || { rm -rf "$tx/files.tmp"; fail 65 "malformed upload, or the state filesystem is full"; }
  rm -rf "$tx/files" && mv "$tx/files.tmp" "$tx/files" || fail 70 "cannot stage files"
  # A slow upload must not let the lease run out before the apply.
  secs=$(cat "$state/lock/lease-seconds" 2>/dev/null || echo 120)
  echo $(($(mono) + secs * 100)) > "$state/lock/lease" 2>/dev/null
  crash_point staged
  echo "staged=$1"
}

reject() { # id message [error-file] -- before apply: nothing changed; audited
  tx="$state/tx.$1"
  msg=$(head -c 1500 "${3:-/dev/null}" 2>/dev/null | one_line)
  audit "$1" "$(cat "$tx/action" 2>/dev/null || echo deploy)" rejected "$2" "$msg" "$tx" 2>/dev/null
  rm -rf "$tx"; lock_release "$1"
  fail 65 "$2${msg:+: $msg}"
}

free_kb() { df -Pk "$1" 2>/dev/null | awk 'NR == 2 { print $4 }'; }
size_kb() { du -sk "$1" 2>/dev/null | cut -f1; }

cmd_apply() { # id timeout timer-mode action commit nft-path nft-conf v4-path v6-path
  safe_word "$1"; safe_word "$2"; safe_word "$3"; safe_word "$4"; safe_word "$5"; safe "$6"; safe "$7"; safe "$8"; safe "$9"
  id=$1; timeout=$2; mode=$3
  take_mutex
  lock_owned "$id"
  trap '' HUP PIPE
  tx="$state/tx.$id"; backend=$(cat "$tx/backend")
  echo "$4" > "$tx/action"; echo "$5" > "$tx/commit"
  # Everything the rollback and the confirm need is written here, before the firewall is touched;
  # refuse when the state filesystem cannot hold it with room to spare.
  [ -d "$tx/files" ] || reject "$id" "no ruleset staged"
  staged_kb=$(size_kb "$tx/files")
  need=$(( ${staged_kb:-0} * 6 + 1024 ))
  avail=$(free_kb "$state")
  [ -n "$avail" ] && [ "$avail" -ge "$need" ] ||
    reject "$id" "the state filesystem has ${avail:-unknown} KiB free, the deploy needs $need KiB; nothing was applied"
  printf '%s %s %s %s\n' "$6" "$7" "$8" "$9" > "$tx/persist-paths" || reject "$id" "cannot write to $tx (disk full?)"
  case $backend in
    nftables)
      [ -s "$tx/files/nft" ] || reject "$id" "no nft ruleset staged"
      { cat "$tx/files/nft"; nft_blocklist_adds "$tx/files/nft"; } > "$tx/apply.nft" || reject "$id" "cannot write $tx/apply.nft (disk full?)"
      nft -c -f "$tx/apply.nft" > "$tx/check.err" 2>&1 || reject "$id" "nft -c rejected the ruleset" "$tx/check.err" ;;
    iptables)
      [ -s "$tx/files/v4" ] || [ -s "$tx/files/v6" ] || reject "$id" "no iptables ruleset staged"
      ensure_ipsets 2> "$tx/check.err" || reject "$id" "cannot create the dynamic block ipsets (is ipset installed?)" "$tx/check.err"
      for fam in v4 v6; do
        [ -s "$tx/files/$fam" ] || continue
        ipt_merge "$fam" "$tx/files/$fam" > "$tx/apply.$fam" || reject "$id" "cannot write $tx/apply.$fam (disk full?)"
        ipt_restore "$fam" --test --noflush "$tx/apply.$fam" > "$tx/check.err" 2>&1 ||
          reject "$id" "$fam restore --test rejected the ruleset" "$tx/check.err"
      done ;;
    *) reject "$id" "unknown backend $backend" ;;
  esac
  render_dir "$backend" "$tx/files" > "$tx/new.canon" 2> "$tx/check.err" ||
    reject "$id" "the kernel rejected the ruleset (scratch namespace)" "$tx/check.err"
  crash_point checked
  canon_live "$backend" > "$tx/old.canon" && hash_of "$tx/new.canon" > "$tx/new-hash" && hash_of "$tx/old.canon" > "$tx/old-hash" ||
    reject "$id" "cannot write to $tx (disk full?)"
  case $backend in
    nftables)
      if nft list table inet benteng >/dev/null 2>&1; then nft list table inet benteng > "$tx/saved.nft"; else : > "$tx/saved.nft"; fi ||
        reject "$id" "cannot save the live ruleset (disk full?)"
      { nft_prefix; cat "$tx/saved.nft"; } | nft -c -f - > "$tx/check.err" 2>&1 ||
        reject "$id" "the saved live ruleset is not restorable" "$tx/check.err" ;;
    iptables)
      for fam in v4 v6; do
        ipt_save "$fam" | awk "$IPT_SAVED" > "$tx/saved.$fam" || reject "$id" "cannot save the live $fam ruleset (disk full?)"
        ipt_merge "$fam" "$tx/saved.$fam" | ipt_restore "$fam" --test --noflush > "$tx/check.err" 2>&1 ||
          reject "$id" "the saved live $fam ruleset is not restorable" "$tx/check.err"
      done ;;
  esac
  crash_point saved
  { boot_id > "$tx/boot" && : > "$tx/alive" && : > "$tx/applying" && cp "$state/agent.sh" "$tx/agent.sh" &&
    printf '%s\n' "$timeout" > "$tx/timeout" && printf '%-24s\n' unknown > "$tx/deadline"; } ||
    reject "$id" "cannot prepare $tx (disk full?)"
  mv "$tx" "$state/pending.$id" || reject "$id" "cannot mark the deploy pending"
  p="$state/pending.$id"
  crash_point pending
  kind=$(arm_timer "$id" "$mode") || {
    mv "$p" "$state/disarmed.$id" 2>/dev/null; rm -rf "$state/disarmed.$id"; lock_release "$id"
    fail 69 "cannot arm the rollback timer ($mode); nothing was applied"
  }
  crash_point armed
  rc=0
  case $backend in
    nftables) err=$(nft -f "$p/apply.nft" 2>&1) || rc=1 ;;
    iptables)
      for fam in v4 v6; do
        [ -f "$p/apply.$fam" ] || continue
        err=$(ipt_restore "$fam" --noflush "$p/apply.$fam" 2>&1) || { rc=1; break; }
        crash_point "applied-$fam"
      done ;;
  esac
  if [ $rc -ne 0 ]; then
    printf '%s\n' "$err" > "$p/detail" 2>/dev/null
    decide_rollback "$id" apply-failed
    fail 67 "apply failed and the saved ruleset was restored: $(printf '%s' "$err" | one_line)"
  fi
  crash_point before-applied
  mv "$p/applying" "$p/applied"
  crash_point applied
  echo "applied=$id"
  echo "applied-at=$(iso)"
  echo "timeout=$timeout"
  echo "timer=$kind"
  echo "old-hash=$(cat "$p/old-hash")"
  echo "new-hash=$(cat "$p/new-hash")"
}

systemd_up() {
  command -v systemd-run >/dev/null 2>&1 || return 1
  case $(systemctl is-system-running 2>/dev/null) in running|degraded|starting) return 0;; esac
  return 1
}
# arm_timer ID MODE: starts the timer detached (a systemd transient unit where systemd runs, else a
# setsid process), then waits until it holds pending.ID/alive. Prints the kind. Mutex held: the timer
# cannot decide anything before this apply has finished. Fd 9 (the mutex) is never inherited.
arm_timer() {
  p="$state/pending.$1"
  kind=
  if [ "$2" != setsid ] && systemd_up; then
    if systemd-run --quiet --collect --unit "benteng-rollback-$1" /bin/sh "$p/agent.sh" timer "$state" "$1" >/dev/null 2>&1 9>&-; then kind=systemd; fi
  fi
  if [ -z "$kind" ]; then
    [ "$2" = systemd ] && return 1
    setsid -f /bin/sh "$p/agent.sh" timer "$state" "$1" </dev/null >/dev/null 2>&1 9>&- || return 1
    kind=setsid
  fi
  i=0
  while ! timer_alive "$p"; do
    i=$((i + 1)); [ $i -le 200 ] || return 1
    sleep 0.05
  done
  echo "$kind"
}

cmd_timer() { # id (runs detached; holds pending.ID/alive until it exits)
  safe_word "$1"; id=$1
  trap '' HUP INT PIPE
  p="$state/pending.$id"
  exec 8<"$p/alive" 2>/dev/null || exit 0
  flock -w 5 8 || exit 0
  # The apply holds the mutex: taking it here waits until the apply has finished or died.
  exec 9>>"$state/mutex"; flock 9
  [ -d "$p" ] || exit 0
  if [ ! -f "$p/applied" ]; then decide_rollback "$id" apply-interrupted; exit 0; fi
  flock -u 9
  start=$(mono); deadline=$((start + $(cat "$p/timeout") * 100))
  printf '%-24s\n' "$deadline" 1<>"$p/deadline" 2>/dev/null
  while [ -d "$p" ]; do
    if [ "$(mono)" -ge "$deadline" ]; then
      flock 9
      [ -d "$p" ] && decide_rollback "$id" confirm-timeout
      exit 0
    fi
    sleep 0.1 8<&- 9>&-
  done
}

cmd_confirm() { # id
  safe_word "$1"; id=$1
  take_mutex
  p="$state/pending.$id"
  if [ -d "$p" ] && [ ! -f "$p/applied" ]; then decide_rollback "$id" apply-interrupted; fi
  if [ ! -d "$p" ]; then cmd_result_lines "$id"; exit 68; fi
  mv "$p" "$state/confirming.$id" || fail 70 "cannot record the confirmation"
  crash_point confirming
  d="$state/confirming.$id"
  persisted=$(persisted_lines "$d")
  do_confirm "$d"
  echo "confirmed=$id"
  printf '%s\n' "$persisted"
  [ "$to" = confirmed ] || fail 71 "confirmed, but writing the boot files failed: a reboot would load the previous rules"

}

cmd_abort() { # id: give up a deploy before apply (client-side failure between begin and apply)
  safe_word "$1"; take_mutex; lock_owned "$1"; rm -rf "$state/tx.$1"; lock_release "$1"; echo "aborted=$1"
}

cmd_recover() { # [boot]
  [ -d "$state" ] || { echo "recover=nothing"; return 0; }
  take_mutex
  recover "$1"
  [ "$1" = boot ] && readd_blocks
  echo "recover=done"
}

# What became of deploy ID: pending, in transition, or its audit record. Read-only.
cmd_result_lines() {
  if [ -d "$state/pending.$1" ]; then
    if [ -f "$state/pending.$1/applied" ]; then echo "state=pending"; else echo "state=applying"; fi
    timer_alive "$state/pending.$1" && echo "timer=alive" || echo "timer=gone"
    return 0
  fi
  for d in "$state"/*."$1"; do
    [ -d "$d" ] || continue
    case $(basename "$d") in tx.*) echo "state=staged"; return 0 ;; esac
    name=$(basename "$d"); echo "state=${name%%.*}"; rest=${name#*.}
    case $rest in *.*) echo "reason=${rest%.*}" ;; esac
    echo "detail=$(one_line 2>/dev/null < "$d/detail")"
    return 0
  done
  rec=$(grep "\"id\":\"$1\"" "$state/audit.log" 2>/dev/null | tail -n 1)
  if [ -n "$rec" ]; then echo "state=decided"; echo "record=$rec"; else echo "state=unknown"; fi
}
cmd_result() { # id backend
  safe_word "$1"; safe_word "$2"
  cmd_result_lines "$1"
  echo "server-time=$(iso)"
  cmd_live "$2"
}

cmd_render() { # backend, files on stdin
  safe_word "$1"
  tmp=$(mktemp -d) || fail 70 "mktemp failed"
  split_files "$tmp/files" || { rm -rf "$tmp"; fail 65 "malformed upload"; }
  if render_dir "$1" "$tmp/files" > "$tmp/canon" 2> "$tmp/err"; then
    echo "hash=$(hash_of "$tmp/canon")"; block canon "$tmp/canon"; rm -rf "$tmp"
  else
    msg=$(one_line < "$tmp/err"); rm -rf "$tmp"; fail 65 "the kernel rejected the ruleset: $msg"
  fi
}

cmd_live() { # backend
  safe_word "$1"
  tmp=$(mktemp) || fail 70 "mktemp failed"
  canon_live "$1" > "$tmp"
  echo "hash=$(hash_of "$tmp")"; block live "$tmp"; rm -f "$tmp"
}

# Other nftables base chains on the hooks ours use: they run too (accept there does not skip ours;
# drop there drops before or after us), so status names them.
nft_foreign_chains() {
  nft list chains 2>/dev/null | awk '
    /^table / { table = $2 " " $3 }
    /^[ \t]*chain / { chain = $2 }
    /type filter hook (input|output|forward)/ && table != "inet benteng" {
      match($0, /hook [a-z]+ priority [^;]+/); print table " " chain " " substr($0, RSTART, RLENGTH) }'
}

cmd_status() { # backend audit-lines (read-only: takes no lock, writes nothing but a temp file)
  safe_word "$1"; safe_word "$2"
  cmd_live "$1"
  if [ -d "$state/history/current" ]; then echo "deployed=yes"; else echo "deployed=no"; fi
  for d in "$state"/pending.*; do
    [ -d "$d" ] || continue
    dl=$(tr -d ' ' 2>/dev/null < "$d/deadline")
    case $dl in ''|*[!0-9]*) left=unknown ;; *) left=$(( (dl - $(mono)) / 100 )) ;; esac
    timer_alive "$d" && t=alive || t=gone
    echo "pending=${d##*/pending.} seconds-left=$left timer=$t new-hash=$(cat "$d/new-hash" 2>/dev/null)"
  done
  for d in "$state"/rollback.* "$state"/confirming.* "$state"/rolled-back.* "$state"/rollback-failed.* "$state"/confirmed.* "$state"/confirmed-not-persisted.*; do
    [ -d "$d" ] && echo "unfinished=$(basename "$d")"
  done
  [ -f "$state/lock/owner" ] && echo "locked-by=$(cat "$state/lock/owner")"
  [ -f "$state/history/current/new-hash" ] && echo "confirmed-hash=$(cat "$state/history/current/new-hash")"
  [ -d "$state/history/previous" ] && echo "previous=yes"
  [ "$1" = nftables ] && nft_foreign_chains | sed 's/^/foreign-chain=/'
  printf -- '--- benteng:begin counters\n'; raw_counters "$1"; printf -- '--- benteng:end counters\n'
  cmd_blocks "$1"
  printf -- '--- benteng:begin audit\n'; tail -n "$2" "$state/audit.log" 2>/dev/null; printf -- '--- benteng:end audit\n'
}

# Packet and byte counters of benteng's rules and map elements (reset by each deploy): the raw
# listing; the client attributes each counter to its rule and service.
raw_counters() {
  case $1 in
    nftables) nft list table inet benteng 2>/dev/null ;;
    iptables) echo '# benteng:ipv4'; iptables-save -c 2>/dev/null | grep -e '-A BENTENG-'; echo '# benteng:ipv6'; ip6tables-save -c 2>/dev/null | grep -e '-A BENTENG-' ;;
  esac
}

cmd_previous() {
  h="$state/history/previous"
  [ -d "$h" ] || fail 66 "no previous confirmed ruleset is kept on this host"
  for f in nft v4 v6; do [ -f "$h/$f" ] && block "$f" "$h/$f"; done
  echo "hash=$(cat "$h/new-hash" 2>/dev/null)"
}

case $verb in
  begin) cmd_begin "$@" ;;
  put) cmd_put "$@" ;;
  apply) cmd_apply "$@" ;;
  confirm) cmd_confirm "$@" ;;
  abort) cmd_abort "$@" ;;
  timer) cmd_timer "$@" ;;
  boot) cmd_recover boot ;;
  recover) cmd_recover "" ;;
  render) cmd_render "$@" ;;
  live) cmd_live "$@" ;;
  status) cmd_status "$@" ;;
  result) cmd_result "$@" ;;
  previous) cmd_previous ;;
  block) cmd_block "$@" ;;
  unblock) cmd_unblock "$@" ;;
  blocks) cmd_blocks "$@" ;;
  drops) cmd_drops "$@" ;;
  *) fail 64 "unknown verb $verb" ;;
esac
