; The INT/IRET program of jit_boundary_test.cpp (nasm -f bin, assembled by meson).
; Real mode at 1000:0000, DS = 3000. Each of 100 rounds: two INT 30h
; whose handler IRETs at once (blocks go on through the lookup table after
; INT and IRET); (a) with IF = 0 and IRQ0 pending and unmasked, an IRET that
; sets IF: the interrupt comes before the instruction at after_a; (b) in
; odd rounds, an IRET that sets TF: the single-step trap comes after the
; first instruction at after_b (its handler clears TF).
bits 16
org 0
%include "pc.inc"
%include "real_mode.inc"
start:
  cli
  pic_init 0xFF               ; all masked
  xor ax,ax
  mov es,ax
  ivt_entry 8, isr0
  ivt_entry 0x30, isr30
  ivt_entry 1, isr1
  mov ax,0x3000
  mov ds,ax
  xor bx,bx
  xor dx,dx
  xor si,si
  mov word [0x800],0
  mov word [0x802],0
  mov word [0x804],0
  mov word [0x806],0
  mov word [0x808],0
  mov cx,100
round:
  mov ax,cx
  int 0x30
  add dx,ax
  int 0x30
  add dx,ax
  ; (a)
  pit0 0, 2
  mov al,0xFE
  out 0x21,al
  mov di,200
spin:
  inc bx
  dec di
  jnz spin
  pushf
  pop ax
  or ax,0x200
  push ax
  push cs
  push word after_a
  iret
after_a:
  inc si
  inc si
  cli
  ; (b) in odd rounds (even rounds give after_b a lookup entry)
  pushf
  pop ax
  test cl,1
  jz no_tf
  or ax,0x100
no_tf:
  push ax
  push cs
  push word after_b
  iret
after_b:
  inc si
  inc si
  inc si
  dec cx
  jnz round
  hlt
isr30:
  add ax,3
  inc word [0x800]
  iret
isr0:
  push bp
  mov bp,sp
  push ax
  mov ax,[bp+2]
  add [0x802],ax
  inc word [0x804]
  mov al,0xFF
  out 0x21,al
  eoi
  pop ax
  pop bp
  iret
isr1:
  push bp
  mov bp,sp
  push ax
  mov ax,[bp+2]
  add [0x806],ax
  inc word [0x808]
  and word [bp+6],0xFEFF
  pop ax
  pop bp
  iret
