#!/usr/bin/env bash
# Boots each test kernel under QEMU (TCG), the reference used to validate
# the checks while writing them (tx86's own tests do not need QEMU):
#   guests/tests/run_qemu.sh BUILD_DIR [kernel...]
# Prints every FAIL line and the DONE line of each kernel, and the exit
# status (1 = all passed, 3 = some failed, 124 = timed out). README.md lists
# the checks QEMU is known to get wrong.
set -u
build=${1:?usage: run_qemu.sh BUILD_DIR [kernel...]}
shift
kernels=("$@")
if [ ${#kernels[@]} -eq 0 ]; then
  kernels=(multiboot_info descriptors exceptions paging rings tasks v86 debug pae sysenter)
fi
for k in "${kernels[@]}"; do
  elf="$build/guests/tests/$k.elf"
  out=$(timeout 30 qemu-system-i386 -kernel "$elf" -nographic -serial stdio -monitor none \
        -device isa-debug-exit,iobase=0xf4,iosize=1 -display none -no-reboot 2>&1)
  status=$?
  printf '%s\n' "$out" | tr -d '\r' | grep -a '^FAIL\|^DONE'
  echo "== $k: exit status $status"
done
