; jit_string_test.cpp: REP MOVSD into a not-present page (nasm -f bin, assembled by meson).
; Flat 32-bit protected mode with paging, identity-mapped
; first MiB except linear 50000h (not present). Copies 40000h -> 4F000h
; twice in full (8 KiB: the TLB is then warm), then 10 KiB, which runs into
; 50000h: the #PF handler records CR2, ECX, ESI, EDI and the error code at
; 7000h and halts. The state must be the interpreter's to the byte.
bits 16
org 0
%include "protected_mode.inc"
%include "paging.inc"
  pm_enter 0x08, 0x10000 + pm
bits 32
pm:
  pm_flat_data
  lidt [0x10000 + idtr]
  mov eax, 0x10000 + pf_handler     ; IDT entry 14 at 0x10000 + idt
  mov [0x10000 + idt + 14 * 8], ax
  shr eax, 16
  mov [0x10000 + idt + 14 * 8 + 6], ax
  identity_pt 0x21000, 256
  mov dword [0x21000 + 0x50 * 4], 0  ; 50000h not present
  mov dword [0x20000], 0x21003
  paging_on 0x20000
  cld
  mov edi, 0x40000
  mov eax, 0x01020304
  mov ecx, 0x1000
  rep stosd                          ; source pattern (16 KiB)
  mov ebx, 3
.again:
  mov esi, 0x40000
  mov edi, 0x4E000
  mov ecx, 0x800
  rep movsd                          ; 4E000h-4FFFFh
  dec ebx
  jnz .again
  mov esi, 0x40000
  mov edi, 0x4E000
  mov ecx, 0xA00
  rep movsd                          ; faults at 50000h
  hlt
pf_handler:
  mov [0x7000], ecx
  mov [0x7004], esi
  mov [0x7008], edi
  mov eax, cr2
  mov [0x700C], eax
  pop eax
  mov [0x7010], eax                  ; error code
  hlt
gdt_flat
gdt_end
idt:
  times 14 dq 0
  dw 0, 0x08, 0x8E00, 0              ; #PF: 32-bit interrupt gate (offset patched)
idtr:
  dw 15 * 8 - 1
  dd 0x10000 + idt
