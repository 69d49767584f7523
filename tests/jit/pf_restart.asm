; jit_links_test.cpp: the page-fault round trip (nasm -f bin, assembled by meson).
; Runs at 1000:0000, enters flat 32-bit protected mode with paging,
; then 200 times reads linear 400000h while its PTE is not present: the #PF
; handler maps it to 81000h (the test puts 7 there) and IRETs with RF set in
; the frame (a fault), the read restarts; then the PTE is cleared again with
; INVLPG (of a 4 MiB region no code is in: links stay). EBX = 200 * 7.
bits 16
org 0
%include "protected_mode.inc"
%include "paging.inc"
  pm_enter 0x08, 0x10000 + pm
bits 32
pm:
  pm_flat_data
  lidt [0x10000 + idtr]
  identity_pt 0x21000, 1024
  mov dword [0x20000], 0x21003
  mov dword [0x20004], 0x22003    ; PT 22000h: nothing present
  paging_on 0x20000
  xor ebx, ebx
  mov ecx, 200
.l:
  mov eax, [0x400000]
  add ebx, eax
  mov dword [0x22000], 0
  invlpg [0x400000]
  dec ecx
  jnz .l
  hlt
pf:
  mov dword [0x22000], 0x81003
  add esp, 4                   ; the error code
  iret
gdt_flat
gdt_end
idt_one_gate 0x0E, pf
