; jit_string_test.cpp: REP MOVS/STOS and REPE/REPNE CMPS/SCAS in every width, both directions, CX and
; ECX counts, overlapping copies and counts of several 1024-iteration
; chunks, under PIT interrupts every 3 ticks (nasm -f bin, assembled by meson).
; DS = ES = 3000h; the ISR counts in 3000:F800, the loop its passes
; in 3000:F900; a REP STOSB finally overwrites the code at "patched".
bits 16
org 0
%include "pc.inc"
%include "real_mode.inc"
start:
  cli
  pic_init 0xFE                ; only IRQ0 unmasked
  pit0 2, 3                 ; rate generator
  xor ax,ax
  mov es,ax
  ivt_entry 8, isr
  mov ax, 0x3000
  mov ds, ax
  mov es, ax
  sti
main:
  cld
  mov ax, [0xF900]
  mov di, 0
  mov cx, 3000
  rep stosb                ; 3 chunks
  mov si, 0
  mov di, 1
  mov cx, 2500
  rep movsb                ; overlapping: replicates byte 0
  mov si, 0x100
  mov di, 0x4000
  mov cx, 1500
  rep movsw
  mov esi, 0x4000
  mov edi, 0x8000
  mov ecx, 1100
  a32 rep movsd
  std
  mov si, 0x8FFE
  mov di, 0x9FFE
  mov cx, 2100
  rep movsw                ; backwards
  mov di, 0xE000
  mov eax, 0x12345678
  mov cx, 1030
  rep stosd                ; backwards, past the 1024 chunk
  cld
  mov si, 0x9000
  mov di, 0x9001
  mov cx, 1200
  rep movsd                ; overlapping by one byte, misaligned: the handler
  mov si, 0xD000
  mov di, 0xD001
  mov cx, 2500
  rep movsb                ; overlapping over the STOSD pattern: replicates 78h
  mov si, 0x4000
  mov di, 0x8000
  mov cx, 1500
  repe cmpsw               ; equal for a while, then differs (or runs out)
  add [0xF910], cx
  mov di, 0xD000
  mov al, 0x78
  mov cx, 3000
  repe scasb               ; stops at the first byte that is not 78h
  add [0xF912], cx
  xor di, di
  mov al, 0x77
  mov cx, 2100
  repne scasb              ; no 77h: several chunks
  add [0xF914], cx
  std
  mov esi, 0x9FFC
  mov edi, 0x9FFC
  mov ecx, 1100
  a32 repe cmpsd           ; same bytes, backwards: runs out
  add [0xF916], cx
  cld
  inc word [0xF900]
  cmp word [0xF900], 200
  jne main
  xor bx, bx
  push cs
  pop es
  mov di, patched
  mov al, 0x90
  mov cx, 3
  rep stosb                ; over code: "mov bx,1" becomes NOPs
patched:
  mov bx, 1
  cli
  hlt
isr:
  counting_isr 0xF800
