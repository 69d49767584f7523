; jit_segclass_test.cpp: the segment classes of the block key (jit/block.h)
; must keep a block translated for one kind of data segment from running
; under another (nasm -f bin, assembled by meson). Runs at 1000:0000, enters
; flat 32-bit protected mode (no paging), then calls one subroutine, `probe`,
; ten times with ES loaded from a table in turn:
;   10h flat read/write (class kFlat)        no fault
;   18h base 30000h, limit 1FFFh (kPlain)     no fault, reads 30000h + x
;   20h base 30000h, limit FFFh (kPlain)      the store at 1000h is #GP
;   28h flat read-only (kChecked)             the store is #GP
;   30h expand-down, limit FFFh (kChecked)    the load at 800h is #GP
; The #GP handler counts in EBX and reloads ES with 10h; the IRET restarts
; the faulting instruction, which then runs with a flat ES. ESI sums what
; probe read; the stores leave ECX in memory. A block reused under the
; wrong class would read the wrong bytes or miss a fault (EBX = 6).
bits 16
org 0
%include "protected_mode.inc"
  pm_enter 0x08, 0x10000 + pm
bits 32
pm:
  pm_flat_data
  lidt [0x10000 + idtr]
  mov dword [0x800], 0x11111111
  mov dword [0x1ffc], 0x33333333
  mov dword [0x30800], 0x22222222
  mov dword [0x31ffc], 0x44444444
  xor ebx, ebx
  xor esi, esi
  mov ecx, 10
.round:
  mov ax, [0x10000 + sels - 2 + ecx * 2]
  mov es, ax
  call probe
  loop .round
  hlt
probe:
  mov edx, [es:0x800]
  add esi, edx
  mov [es:0x1000], ecx
  add esi, [es:0x1ffc]
  ret
gp_handler:
  add esp, 4                   ; the error code
  inc ebx
  push eax
  mov ax, 0x10
  mov es, ax
  pop eax
  iret
sels:
  dw 0x28, 0x30, 0x20, 0x18, 0x10, 0x30, 0x28, 0x18, 0x20, 0x10
gdt_flat
  dq 0x0040920300001FFF        ; 18h: data, base 30000h, limit 1FFFh
  dq 0x0040920300000FFF        ; 20h: data, base 30000h, limit FFFh
  dq 0x00CF90000000FFFF        ; 28h: data, base 0, 4 GiB, read-only
  dq 0x0040960300000FFF        ; 30h: data, expand-down, base 30000h, limit FFFh
gdt_end
idt_one_gate 0x0D, gp_handler
