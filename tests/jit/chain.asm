; The chaining program of jit_chain_test.cpp (nasm -f bin, assembled by meson):
; PIT interrupts every 37 ticks while a loop goes through every kind of block
; exit: Jcc, JMP rel, CALL rel and r/m, RET and RET imm16, JMP m16, LOOP,
; LOOPE, LOOPNE, JCXZ, and LOOP with ECX (a32). The ISR counts in DS:0800,
; the loop stores to DS:SI and counts its passes in DS:0900.
bits 16
org 0
start:
  cli
  mov al,0x11
  out 0x20,al
  mov al,0x08
  out 0x21,al
  mov al,0x04
  out 0x21,al
  mov al,0x01
  out 0x21,al
  mov al,0xFE
  out 0x21,al
  mov al,0x34
  out 0x43,al
  mov al,37
  out 0x40,al
  xor al,al
  out 0x40,al
  xor ax,ax
  mov es,ax
  mov word [es:8*4], isr
  mov word [es:8*4+2], 0x1000
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
  push ax
  inc word [0x800]
  mov al, 0x20
  out 0x20, al
  pop ax
  iret
