/**
 * The server side of the deploy protocol: a POSIX sh script uploaded with each deploy to
 * `<stateDir>/agent.sh` (temp + rename) and run as `sh agent.sh VERB STATE_DIR ARGS...`.
 *
 * Guarantees, in the order of PRODUCT.md "Deploy":
 * - `begin` takes a mkdir lock under the state dir (refused with exit 75 naming the holder).
 * - `apply` checks the ruleset (`nft -c -f` / `iptables-restore --test`) and renders it in a scratch
 *   network namespace (`unshare -n`), so a ruleset the kernel rejects changes nothing; then it saves the
 *   live state of our own table/chains, checks the saved copy is restorable, renames `tx.<id>` to
 *   `pending.<id>`, arms a rollback timer that outlives the SSH session (`systemd-run --on-active` where
 *   systemd runs, else a `setsid -f` process with stdio on /dev/null), and applies atomically
 *   (`nft -f` is one transaction; `iptables-restore` commits per table). A failed apply is restored at once.
 * - `confirm` and the timer's `fire` both decide by renaming `pending.<id>` to `decided.<id>`: rename(2)
 *   is atomic, so exactly one of them wins.
 * - Dynamic blocklist entries (nft sets blocklist_v4/v6, iptables chain BENTENG-BLOCK) are carried over.
 *
 * Output is `key=value` lines plus blocks framed by `--- benteng:begin NAME` / `--- benteng:end NAME`.
 * Every argument is validated against a narrow character class before use; ruleset text is only ever
 * data read from stdin, never evaluated.
 *
 * Kept as a string constant because `tsc` does not copy non-.ts files into dist/. The script avoids
 * `${` and backquotes so it can live in a template literal; String.raw keeps backslashes verbatim.
 */
export const AGENT_SCRIPT = String.raw`#!/bin/sh
# benteng agent (uploaded by benteng deploy; see docs/deploy.md). Usage: agent.sh VERB STATE_DIR ARGS...
umask 077
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
LC_ALL=C
export PATH LC_ALL
self=$0
verb=$1
state=$2
[ $# -ge 2 ] || { echo "error=usage: agent.sh VERB STATE_DIR"; exit 64; }
shift 2

fail() { code=$1; shift; printf 'error=%s\n' "$*"; exit "$code"; }
safe() { case $1 in ''|*[!A-Za-z0-9._:/-]*) fail 64 "bad argument: $1";; esac; }
safe_word() { case $1 in ''|*[!A-Za-z0-9._-]*) fail 64 "bad argument: $1";; esac; }
now() { date +%s; }
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ 2>/dev/null || date -u +%Y-%m-%dT%H:%M:%SZ; }
block() { printf -- '--- benteng:begin %s\n' "$1"; [ -f "$2" ] && awk '{ print }' "$2"; printf -- '--- benteng:end %s\n' "$1"; }
hash_of() { sha256sum < "$1" | cut -d' ' -f1; }
sane_user() { case $1 in ''|*[!a-z0-9_-]*) echo unknown;; *) echo "$1";; esac; }
sane_addr() { case $1 in ''|*[!0-9A-Fa-f.:]*) echo unknown;; *) echo "$1";; esac; }
who_user=$(sane_user "$BENTENG_SSH_USER")
who_client=$(sane_addr "$BENTENG_CLIENT")

safe "$state"

# ---- canonical form of the live ruleset (what hashes and diffs compare) ----
STRIP_BLOCKLIST='
/^[ \t]*set blocklist_v[46] \{/ { inset = 1 }
inset && /^[ \t]*\}[ \t]*$/ { inset = 0 }
inset && /elements = \{/ { skipping = 1 }
skipping { if ($0 ~ /\}/) skipping = 0; next }
{ print }'
IPT_CANON='
function emit(l) { if (!shown) { print table; shown = 1 } print l }
/^\*/ { table = $0; shown = 0; next }
/^:BENTENG-/ { emit($1 " -"); next }
/^-A BENTENG-BLOCK / { next }
/^-A BENTENG-/ { emit($0); next }
/^-A / && / -[jg] BENTENG-/ { emit($0); next }'
IPT_SAVED='
/^\*/ { table = $0; body = ""; next }
/^:BENTENG-/ { body = body $1 " - [0:0]\n"; next }
/^-A BENTENG-/ { body = body $0 "\n"; next }
/^-A / && / -[jg] BENTENG-/ { body = body $0 "\n"; next }
/^COMMIT/ { if (body != "") printf "%s\n%sCOMMIT\n", table, body; body = "" }'
IPT_MERGE='
FILENAME == livef {
  if ($0 ~ /^\*/) { t = substr($0, 2); next }
  if ($0 ~ /^:BENTENG-/) { c = substr($1, 2); nold[t]++; old[t, nold[t]] = c; tables[t] = 1; next }
  if ($0 ~ /^-A BENTENG-BLOCK /) { nblk[t]++; blk[t, nblk[t]] = $0; next }
  if ($0 ~ /^-A / && $0 !~ /^-A BENTENG-/ && $0 ~ / -[jg] BENTENG-/) { l = $0; sub(/^-A /, "-D ", l); jumps[t] = jumps[t] l "\n"; tables[t] = 1 }
  next
}
/^\*/ { t = substr($0, 2); tables[t] = 1; next }
/^:/ { decl[t] = decl[t] $0 "\n"; declared[t, substr($1, 2)] = 1; next }
/^COMMIT/ || /^#/ || /^[ \t]*$/ { next }
{ rules[t] = rules[t] $0 "\n"; present[t, $0] = 1 }
END {
  for (t in tables) {
    printf "*%s\n%s", t, decl[t]
    for (i = 1; i <= nold[t]; i++) if (!declared[t, old[t, i]]) printf ":%s - [0:0]\n", old[t, i]
    printf "%s", jumps[t]
    for (i = 1; i <= nold[t]; i++) if (!declared[t, old[t, i]]) printf "-X %s\n", old[t, i]
    if (declared[t, "BENTENG-BLOCK"])
      for (i = 1; i <= nblk[t]; i++) if (!present[t, blk[t, i]] && blk[t, i] != "-A BENTENG-BLOCK -j RETURN") print blk[t, i]
    printf "%sCOMMIT\n", rules[t]
  }
}'
ELEMENTS='
/elements = \{/ { on = 1; sub(/.*elements = \{/, "") }
on { buf = buf " " $0; if ($0 ~ /\}/) on = 0 }
END { sub(/\}[^}]*$/, "", buf); gsub(/[\t\n]/, " ", buf); if (buf ~ /[^ ]/) printf "add element inet benteng %s {%s }\n", name, buf }'

ipt_save() { if [ "$1" = v4 ]; then iptables-save 2>/dev/null; else ip6tables-save 2>/dev/null; fi; }
ipt_restore() { fam=$1; shift; if [ "$fam" = v4 ]; then iptables-restore "$@"; else ip6tables-restore "$@"; fi; }

canon_live() {
  case $1 in
    nftables) if nft list table inet benteng >/dev/null 2>&1; then nft -s list table inet benteng | awk "$STRIP_BLOCKLIST"; fi ;;
    iptables) echo '# ipv4'; ipt_save v4 | awk "$IPT_CANON"; echo '# ipv6'; ipt_save v6 | awk "$IPT_CANON" ;;
  esac
}

nft_prefix() { printf 'table inet benteng {}\ndelete table inet benteng\n'; }
# Live blocklist elements, as "add element" lines, for the sets the target file declares.
nft_blocklist_adds() {
  for set in blocklist_v4 blocklist_v6; do
    grep -q "set $set" "$1" 2>/dev/null || continue
    nft list set inet benteng "$set" 2>/dev/null | awk -v name="$set" "$ELEMENTS"
  done
}
# merge LIVE_SAVE NEW: an iptables-restore --noflush input replacing every BENTENG chain and jump.
ipt_merge() { awk -v livef="$1" "$IPT_MERGE" "$1" "$2"; }

# ---- lock ----
has_pending() { for d in "$state"/pending.* "$state"/decided.*; do [ -d "$d" ] && return 0; done; return 1; }
lock_stale() {
  has_pending && return 1
  exp=$(cat "$state/lock/expires" 2>/dev/null || echo 0)
  [ "$(now)" -gt "$exp" ]
}
lock_write() {
  t=$(now)
  echo "$1" > "$state/lock/id"
  echo $((t + $2)) > "$state/lock/expires"
  printf 'user=%s client=%s pid=%s since=%s id=%s\n' "$who_user" "$who_client" "$$" "$(iso "$t")" "$1" > "$state/lock/owner"
}
lock_take() {
  mkdir -p "$state" || fail 70 "cannot create state dir $state"
  if mkdir "$state/lock" 2>/dev/null; then lock_write "$1" "$2"; return 0; fi
  if lock_stale; then
    rm -rf "$state/lock"
    if mkdir "$state/lock" 2>/dev/null; then lock_write "$1" "$2"; return 0; fi
  fi
  printf 'locked-by=%s\n' "$(cat "$state/lock/owner" 2>/dev/null || echo unknown)"
  exit 75
}
lock_owned() { [ "$(cat "$state/lock/id" 2>/dev/null)" = "$1" ] || fail 77 "lock is not held by deploy $1"; }
lock_release() { [ "$(cat "$state/lock/id" 2>/dev/null)" = "$1" ] && rm -rf "$state/lock"; return 0; }

# ---- audit ----
audit() { # id action outcome reason meta-dir
  m=$5
  printf '{"time":"%s","id":"%s","action":"%s","outcome":"%s","reason":"%s","backend":"%s","user":"%s","client":"%s","commit":"%s","oldHash":"%s","newHash":"%s"}\n' \
    "$(iso "$(now)")" "$1" "$2" "$3" "$4" "$(cat "$m/backend" 2>/dev/null)" "$(cat "$m/user" 2>/dev/null)" \
    "$(cat "$m/client" 2>/dev/null)" "$(cat "$m/commit" 2>/dev/null)" "$(cat "$m/old-hash" 2>/dev/null)" \
    "$(cat "$m/new-hash" 2>/dev/null)" >> "$state/audit.log"
}

# ---- restore the saved state (rollback) ----
restore_saved() { # dir
  case $(cat "$1/backend") in
    nftables)
      { nft_prefix; [ -s "$1/saved.nft" ] && cat "$1/saved.nft" && nft_blocklist_adds "$1/saved.nft"; } > "$1/restore.nft"
      nft -f "$1/restore.nft" ;;
    iptables)
      rc=0
      for fam in v4 v6; do
        ipt_save "$fam" > "$1/live-now.$fam"
        ipt_merge "$1/live-now.$fam" "$1/saved.$fam" > "$1/restore.$fam"
        ipt_restore "$fam" --noflush "$1/restore.$fam" || rc=1
      done
      return $rc ;;
  esac
}

decide_rollback() { # id reason -> 0 if this call won the decision
  mv "$state/pending.$1" "$state/decided.$1" 2>/dev/null || return 1
  d="$state/decided.$1"
  if restore_saved "$d" 2> "$d/restore.err"; then outcome=rolled-back; else outcome=rollback-failed; fi
  audit "$1" "$(cat "$d/action")" "$outcome" "$2" "$d"
  rm -f "$state/agent.$1.sh"
  rm -rf "$d"
  lock_release "$1"
  return 0
}

systemd_up() {
  command -v systemd-run >/dev/null 2>&1 || return 1
  case $(systemctl is-system-running 2>/dev/null) in running|degraded|starting) return 0;; esac
  return 1
}
arm_timer() { # id deadline mode
  p="$state/pending.$1"
  secs=$(($2 - $(now)))
  [ "$secs" -ge 1 ] || secs=1
  if [ "$3" != setsid ] && systemd_up; then
    if systemd-run --quiet --unit "benteng-rollback-$1" --on-active="$secs" --timer-property=AccuracySec=1s \
        /bin/sh "$state/agent.$1.sh" fire "$state" "$1" confirm-timeout >/dev/null 2>&1; then
      echo systemd > "$p/timer"; return 0
    fi
  fi
  [ "$3" = systemd ] && return 1
  setsid -f /bin/sh "$state/agent.$1.sh" timer "$state" "$1" "$2" </dev/null >/dev/null 2>&1 || return 1
  echo setsid > "$p/timer"
}

# ---- verbs ----
cmd_begin() { # id lease backend
  safe_word "$1"; safe_word "$2"; safe_word "$3"
  lock_take "$1" "$2"
  tx="$state/tx.$1"
  rm -rf "$tx"; mkdir "$tx" || fail 70 "cannot create $tx"
  echo "$3" > "$tx/backend"
  echo "$who_user" > "$tx/user"
  echo "$who_client" > "$tx/client"
  echo "locked=$1"
}

split_files() { # dir: stdin framed by "--- benteng:file NAME" into DIR/NAME (NAME in nft v4 v6)
  mkdir -p "$1" && awk -v dir="$1" '
    /^--- benteng:file / { if ($3 !~ /^(nft|v4|v6)$/) { bad = 1; exit 1 } f = dir "/" $3; printf "" > f; next }
    f != "" { print > f }
    END { if (bad) exit 1 }'
}

cmd_put() { # id
  safe_word "$1"; lock_owned "$1"
  tx="$state/tx.$1"
  rm -rf "$tx/files.tmp"
  split_files "$tx/files.tmp" || fail 65 "malformed upload"
  rm -rf "$tx/files" && mv "$tx/files.tmp" "$tx/files" || fail 70 "cannot stage files"
  echo "staged=$1"
}

reject() { # id file message
  tx="$state/tx.$1"
  msg=$(head -c 2000 "$2" 2>/dev/null | tr '\n' ' ')
  rm -rf "$tx"; lock_release "$1"
  fail 65 "$3: $msg"
}

cmd_apply() { # id timeout timer-mode action commit
  safe_word "$1"; safe_word "$2"; safe_word "$3"; safe_word "$4"; safe_word "$5"
  id=$1; lock_owned "$id"
  tx="$state/tx.$id"; backend=$(cat "$tx/backend")
  case $backend in
    nftables)
      [ -s "$tx/files/nft" ] || reject "$id" /dev/null "no nft ruleset staged"
      { cat "$tx/files/nft"; nft_blocklist_adds "$tx/files/nft"; } > "$tx/apply.nft"
      nft -c -f "$tx/apply.nft" > "$tx/check.err" 2>&1 || reject "$id" "$tx/check.err" "nft -c rejected the ruleset" ;;
    iptables)
      [ -s "$tx/files/v4" ] || [ -s "$tx/files/v6" ] || reject "$id" /dev/null "no iptables ruleset staged"
      for fam in v4 v6; do
        [ -s "$tx/files/$fam" ] || continue
        ipt_save "$fam" > "$tx/live.$fam"
        ipt_merge "$tx/live.$fam" "$tx/files/$fam" > "$tx/apply.$fam"
        ipt_restore "$fam" --test --noflush "$tx/apply.$fam" > "$tx/check.err" 2>&1 ||
          reject "$id" "$tx/check.err" "$fam restore --test rejected the ruleset"
      done ;;
    *) reject "$id" /dev/null "unknown backend $backend" ;;
  esac
  unshare -n /bin/sh "$self" render-dir "$state" "$backend" "$tx/files" > "$tx/new.canon" 2> "$tx/check.err" ||
    reject "$id" "$tx/check.err" "the kernel rejected the ruleset (scratch namespace)"
  canon_live "$backend" > "$tx/old.canon"
  hash_of "$tx/new.canon" > "$tx/new-hash"
  hash_of "$tx/old.canon" > "$tx/old-hash"
  case $backend in
    nftables)
      if nft list table inet benteng >/dev/null 2>&1; then nft list table inet benteng > "$tx/saved.nft"; else : > "$tx/saved.nft"; fi
      { nft_prefix; cat "$tx/saved.nft"; } > "$tx/restore-check.nft"
      nft -c -f "$tx/restore-check.nft" > "$tx/check.err" 2>&1 || reject "$id" "$tx/check.err" "the saved live ruleset is not restorable" ;;
    iptables)
      for fam in v4 v6; do
        ipt_save "$fam" > "$tx/live.$fam"
        awk "$IPT_SAVED" "$tx/live.$fam" > "$tx/saved.$fam"
        ipt_merge "$tx/live.$fam" "$tx/saved.$fam" > "$tx/restore-check.$fam"
        ipt_restore "$fam" --test --noflush "$tx/restore-check.$fam" > "$tx/check.err" 2>&1 ||
          reject "$id" "$tx/check.err" "the saved live $fam ruleset is not restorable"
      done ;;
  esac
  echo "$4" > "$tx/action"; echo "$5" > "$tx/commit"
  t=$(now); deadline=$((t + $2))
  echo "$deadline" > "$tx/deadline"; echo "$t" > "$tx/applied-at"
  cp "$self" "$state/agent.$id.sh" || reject "$id" /dev/null "cannot copy the agent for the timer"
  mv "$tx" "$state/pending.$id" || reject "$id" /dev/null "cannot mark the deploy pending"
  p="$state/pending.$id"
  if ! arm_timer "$id" "$deadline" "$3"; then
    rm -rf "$p" "$state/agent.$id.sh"; lock_release "$id"
    fail 69 "cannot arm the rollback timer; nothing was applied"
  fi
  rc=0
  case $backend in
    nftables) nft -f "$p/apply.nft" > "$p/apply.err" 2>&1 || rc=1 ;;
    iptables)
      for fam in v4 v6; do
        [ -f "$p/apply.$fam" ] || continue
        ipt_restore "$fam" --noflush "$p/apply.$fam" > "$p/apply.err" 2>&1 || { rc=1; break; }
      done ;;
  esac
  if [ $rc -ne 0 ]; then
    msg=$(head -c 2000 "$p/apply.err" | tr '\n' ' ')
    decide_rollback "$id" apply-failed
    fail 67 "apply failed and the saved ruleset was restored: $msg"
  fi
  echo "applied=$id"
  echo "applied-at=$(iso "$t")"
  echo "deadline=$deadline"
  echo "deadline-at=$(iso "$deadline")"
  echo "timer=$(cat "$p/timer")"
  echo "old-hash=$(cat "$p/old-hash")"
  echo "new-hash=$(cat "$p/new-hash")"
}

persist() { # dir nft-file nft-conf v4-file v6-file
  case $(cat "$1/backend") in
    nftables)
      mkdir -p "$(dirname "$2")" && cp "$1/files/nft" "$2.tmp.$$" && mv "$2.tmp.$$" "$2" || return 1
      if ! grep -qF "include \"$2\"" "$3" 2>/dev/null; then
        { if [ -f "$3" ]; then cat "$3"; else printf '#!/usr/sbin/nft -f\n'; fi; printf 'include "%s"\n' "$2"; } > "$3.tmp.$$" &&
          mv "$3.tmp.$$" "$3" || return 1
      fi
      echo "persisted=$2"; echo "persisted-via=$3"; echo "boot-unit=nftables.service" ;;
    iptables)
      for pair in "v4 $4" "v6 $5"; do
        set -- $pair
        mkdir -p "$(dirname "$2")" && ipt_save "$1" > "$2.tmp.$$" && mv "$2.tmp.$$" "$2" || return 1
        echo "persisted=$2"
      done
      echo "boot-unit=netfilter-persistent.service" ;;
  esac
}

cmd_confirm() { # id nft-file nft-conf v4-file v6-file
  safe_word "$1"; safe "$2"; safe "$3"; safe "$4"; safe "$5"
  id=$1; p="$state/pending.$id"
  if [ ! -d "$p" ]; then echo "decided=$id"; grep "\"id\":\"$id\"" "$state/audit.log" 2>/dev/null | tail -n 1 | sed 's/^/record=/'; exit 68; fi
  if [ "$(now)" -gt "$(cat "$p/deadline")" ]; then
    decide_rollback "$id" late-confirm
    echo "decided=$id"; grep "\"id\":\"$id\"" "$state/audit.log" 2>/dev/null | tail -n 1 | sed 's/^/record=/'; exit 68
  fi
  mv "$p" "$state/decided.$id" 2>/dev/null || { echo "decided=$id"; exit 68; }
  d="$state/decided.$id"
  [ "$(cat "$d/timer" 2>/dev/null)" = systemd ] && systemctl stop "benteng-rollback-$id.timer" >/dev/null 2>&1
  outcome=confirmed
  persist "$d" "$2" "$3" "$4" "$5" || outcome=confirmed-not-persisted
  h="$state/history"; mkdir -p "$h"
  rm -rf "$h/current.tmp"; cp -r "$d/files" "$h/current.tmp"
  cp "$d/new-hash" "$d/action" "$h/current.tmp/" 2>/dev/null
  if [ -d "$h/current" ]; then rm -rf "$h/previous"; mv "$h/current" "$h/previous"; fi
  mv "$h/current.tmp" "$h/current"
  audit "$id" "$(cat "$d/action")" "$outcome" confirmed "$d"
  rm -f "$state/agent.$id.sh"; rm -rf "$d"
  lock_release "$id"
  echo "confirmed=$id"
  [ $outcome = confirmed ] || fail 71 "confirmed, but writing the boot file failed"
}

cmd_timer() { # id deadline (runs detached)
  safe_word "$1"; safe_word "$2"
  trap '' HUP INT PIPE
  echo $$ > "$state/pending.$1/timer.pid" 2>/dev/null
  while [ -d "$state/pending.$1" ]; do
    if [ "$(now)" -ge "$2" ]; then decide_rollback "$1" confirm-timeout; exit 0; fi
    sleep 1
  done
}

cmd_fire() { safe_word "$1"; safe_word "$2"; decide_rollback "$1" "$2"; exit 0; }

cmd_abort() { # id: give up a deploy before apply (client-side failure between begin and apply)
  safe_word "$1"; lock_owned "$1"; rm -rf "$state/tx.$1"; lock_release "$1"; echo "aborted=$1"
}

cmd_render_dir() { # backend dir (inside unshare -n)
  case $1 in
    nftables) nft -f "$2/nft" >&2 || exit 1 ;;
    iptables) for fam in v4 v6; do [ -s "$2/$fam" ] || continue; ipt_restore "$fam" --noflush "$2/$fam" >&2 || exit 1; done ;;
  esac
  canon_live "$1"
}

cmd_render() { # backend, files on stdin
  safe_word "$1"
  tmp=$(mktemp -d) || fail 70 "mktemp failed"
  split_files "$tmp/files" || { rm -rf "$tmp"; fail 65 "malformed upload"; }
  if unshare -n /bin/sh "$self" render-dir "$state" "$1" "$tmp/files" > "$tmp/canon" 2> "$tmp/err"; then
    echo "hash=$(hash_of "$tmp/canon")"; block canon "$tmp/canon"; rm -rf "$tmp"
  else
    msg=$(head -c 2000 "$tmp/err" | tr '\n' ' '); rm -rf "$tmp"; fail 65 "the kernel rejected the ruleset: $msg"
  fi
}

cmd_live() { # backend
  safe_word "$1"
  tmp=$(mktemp) || fail 70 "mktemp failed"
  canon_live "$1" > "$tmp"
  echo "hash=$(hash_of "$tmp")"; block live "$tmp"; rm -f "$tmp"
}

cmd_status() { # backend audit-lines
  safe_word "$1"; safe_word "$2"
  cmd_live "$1"
  for d in "$state"/pending.*; do
    [ -d "$d" ] || continue
    echo "pending=$(basename "$d" | cut -d. -f2-) deadline=$(cat "$d/deadline") new-hash=$(cat "$d/new-hash")"
  done
  [ -f "$state/lock/owner" ] && echo "locked-by=$(cat "$state/lock/owner")"
  [ -f "$state/history/current/new-hash" ] && echo "confirmed-hash=$(cat "$state/history/current/new-hash")"
  [ -d "$state/history/previous" ] && echo "previous=yes"
  tmp=$(mktemp) || fail 70 "mktemp failed"
  tail -n "$2" "$state/audit.log" > "$tmp" 2>/dev/null
  block audit "$tmp"; rm -f "$tmp"
}

cmd_result() { # id backend
  safe_word "$1"; safe_word "$2"
  if [ -d "$state/pending.$1" ]; then echo "state=pending"; else echo "state=decided"; fi
  grep "\"id\":\"$1\"" "$state/audit.log" 2>/dev/null | tail -n 1 | sed 's/^/record=/'
  cmd_live "$2"
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
  fire) cmd_fire "$@" ;;
  render) cmd_render "$@" ;;
  render-dir) cmd_render_dir "$@" ;;
  live) cmd_live "$@" ;;
  status) cmd_status "$@" ;;
  result) cmd_result "$@" ;;
  previous) cmd_previous ;;
  *) fail 64 "unknown verb $verb" ;;
esac
`;
