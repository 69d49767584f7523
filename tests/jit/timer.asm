; The timer-interrupt program of jit_engine_test.cpp (nasm -f bin, assembled by meson).
bits 16
org 0
%include "pc.inc"
%include "real_mode.inc"
start:
  cli
  pic_init 0xFE                ; only IRQ0 unmasked
  pit0 2, 100                 ; rate generator
  xor ax,ax
  mov es,ax
  ivt_entry 8, isr
  mov ax, 0x3000
  mov ds, ax
  xor si,si
  xor cx,cx
  sti
main:
  mov ax, cx
  imul ax, ax, 7
  add bx, ax
  xor dx, bx
  mov [si], dx
  add si, 2
  and si, 0x3FF
  inc cx
  jmp main
isr:
  counting_isr 0x800
