; The chaining program of jit_chain_test.cpp (nasm -f bin, assembled by meson):
; PIT interrupts every 37 ticks while a loop goes through every kind of block
; exit: Jcc, JMP rel, CALL rel and r/m, RET and RET imm16, JMP m16, LOOP,
; LOOPE, LOOPNE, JCXZ, and LOOP with ECX (a32). The ISR counts in DS:0800,
; the loop stores to DS:SI and counts its passes in DS:0900.
bits 16
org 0
%include "pc.inc"
%include "real_mode.inc"
start:
  cli
  pic_init 0xFE                ; only IRQ0 unmasked
  pit0 2, 37                 ; rate generator
  xor ax,ax
  mov es,ax
  ivt_entry 8, isr
  mov ax, 0x3000
  mov ds, ax
  mov es, ax
  xor si,si
  xor dx,dx
  sti
main:
  call sub1
  mov bx, sub2
  call bx
  mov cx, 5
.l1:
  add dx, cx
  loop .l1
  mov cx, 3
.l2:
  inc di
  cmp di, di
  loope .l2
  mov cx, 4
.l3:
  xor ax, ax
  inc ax
  loopne .l3
  jcxz .z
  hlt
.z:
  mov [si], dx
  add si, 2
  and si, 0x3FF
  jmp [cs:jt]
jt: dw back
back:
  mov ecx, 3
.l4:
  inc bp
  a32 loop .l4
  push word 0x1234
  call sub3
  inc word [0x900]
  cmp word [0x900], 0x7FFF
  jne main
  hlt
sub1:
  add dx, 3
  ret
sub2:
  xor dx, 0x55
  ret
sub3:
  rol dx, 1
  ret 2
isr:
  counting_isr 0x800
