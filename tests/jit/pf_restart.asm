; jit_links_test.cpp: the page-fault round trip (nasm -f bin, assembled by meson).
; Runs at 1000:0000, enters flat 32-bit protected mode with paging,
; then 200 times reads linear 400000h while its PTE is not present: the #PF
; handler maps it to 81000h (the test puts 7 there) and IRETs with RF set in
; the frame (a fault), the read restarts; then the PTE is cleared again with
; INVLPG (of a 4 MiB region no code is in: links stay). EBX = 200 * 7.
bits 16
org 0
  cli
  lgdt [cs:gdtr]
  mov eax, cr0
  or al, 1
  mov cr0, eax
  jmp dword 0x08:(0x10000 + pm)
bits 32
pm:
  mov ax, 0x10
  mov ds, ax
  mov es, ax
  mov ss, ax
  mov esp, 0x9000
  lidt [0x10000 + idtr]
  mov edi, 0x21000
  mov eax, 3
  mov ecx, 1024
.fill:
  mov [edi], eax
  add eax, 0x1000
  add edi, 4
  loop .fill
  mov dword [0x20000], 0x21003
  mov dword [0x20004], 0x22003    ; PT 22000h: nothing present
  mov eax, 0x20000
  mov cr3, eax
  mov eax, cr0
  or eax, 0x80000000
  mov cr0, eax
  jmp .paged
.paged:
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
align 8
gdt:
  dq 0
  dq 0x00CF9A000000FFFF
  dq 0x00CF92000000FFFF
gdtr:
  dw 23
  dd 0x10000 + gdt
gate0e:                        ; the IDT's entry 0Eh (entries 0-0Dh, never used, overlap the code)
  dw (0x10000 + pf - $$) & 0xFFFF, 0x08, 0x8E00, (0x10000 + pf - $$) >> 16
idtr:
  dw 0x0F * 8 - 1
  dd 0x10000 + gate0e - 0x0E * 8
