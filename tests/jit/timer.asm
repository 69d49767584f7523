; The timer-interrupt program of jit_engine_test.cpp (nasm -f bin, assembled by meson).
; 
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
  mov al,100
  out 0x40,al
  xor al,al
  out 0x40,al
  xor ax,ax
  mov es,ax
  mov word [es:8*4], isr
  mov word [es:8*4+2], 0x1000
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
  push ax
  inc word [0x800]
  mov al, 0x20
  out 0x20, al
  pop ax
  iret
