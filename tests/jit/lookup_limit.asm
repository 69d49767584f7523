; The CS-limit program of jit_lookup_test.cpp (nasm -f bin, assembled by meson).
; Runs at 1000:0000 and enters 32-bit protected mode through a code
; segment (18h) of base 10000h and limit FFFFh, where it calls 7F0Ch once:
; seven INC EBX and a RET, translated as one block. Then it goes on in code
; segment 08h, same base and mode, limit 7F0Fh (its end is not a page's
; end), for five rounds of PUSH 7F0Ch / RET: four INC EBX within the limit,
; then the fetch at 7F10h is #GP, whose handler drops the frame and loops.
; The block made under the larger limit keeps its key: the lookup table
; must never give it to RET's inline test, which trusts its entries to end
; within the limit. EBX = 20 at the HLT.
bits 16
org 0
%include "protected_mode.inc"
  pm_enter 0x18, pm
bits 32
pm:
  pm_flat_data
  lidt [0x10000 + idtr]
  call 0x7F0C
  jmp dword 0x08:small
small:
  xor ebx, ebx
  mov ecx, 5
round:
  push dword 0x7F0C
  ret
gp:
  add esp, 16                ; error code, EIP, CS, EFLAGS
  dec ecx
  jnz round
  hlt
align 8
gdt:
  dq 0
  db 0x0F, 0x7F, 0x00, 0x00, 0x01, 0x9A, 0x40, 0x00   ; 08h: code32, base 10000h, limit 7F0Fh
  db 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x92, 0xCF, 0x00   ; 10h: flat data
  db 0xFF, 0xFF, 0x00, 0x00, 0x01, 0x9A, 0x40, 0x00   ; 18h: code32, base 10000h, limit FFFFh
gdt_end
idt:
  times 13 dq 0
  dw gp, 0x08, 0x8E00, 0     ; 13: 32-bit interrupt gate to 08h:gp
idtr:
  dw 14 * 8 - 1
  dd 0x10000 + idt
