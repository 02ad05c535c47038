#!/usr/bin/env bash
# hvt images (apps/echo, apps/sink) against real Linux over TAP: tests/net_interop/interop.sh with
# TARGET hvt, skipped (77) when KVM is not usable here. Environment as for interop.sh.
set -u
if ! why=$("$UNIKIT_BUILD_DIR/tools/unikit-hvt" --check-kvm 2>&1); then
  echo "SKIP: KVM not usable: $why"
  exit 77
fi
exec bash "$(dirname "$0")/../net_interop/interop.sh" hvt "${1:?case}"
