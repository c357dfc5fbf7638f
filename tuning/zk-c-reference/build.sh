#!/bin/sh
# Build zkref against Debian's ZooKeeper C client.
# Needs the single-threaded library, libzookeeper-st-dev (it conflicts with
# libzookeeper-mt-dev, so install only st). libzookeeper_mt is NOT a usable
# fallback: see below.
#   apt-get install -y libzookeeper-st-dev
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-"$here/zkref"}
if [ ! -f /usr/include/zookeeper/zookeeper.h ]; then
    echo "zookeeper.h missing: apt-get install -y libzookeeper-st-dev" >&2
    exit 1
fi
if [ -e /usr/lib/x86_64-linux-gnu/libzookeeper_st.so ] || [ -e /usr/lib/libzookeeper_st.so ] \
   || ls /usr/lib/*/libzookeeper_st.so >/dev/null 2>&1; then
    lib=zookeeper_st
else
    # zkref drives sessions with zookeeper_interest()/zookeeper_process() from
    # its own thread. libzookeeper_mt runs its own I/O thread over the same
    # handles, so linking it would race: refuse rather than build a bad driver.
    echo "libzookeeper_st not found: apt-get install -y libzookeeper-st-dev" >&2
    echo "(it conflicts with libzookeeper-mt-dev; apt removes that one)" >&2
    exit 1
fi
gcc -O2 -g -Wall -Wextra -std=gnu11 -o "$out" "$here/zkref.c" -l"$lib" -lm
echo "built $out (-l$lib)"
