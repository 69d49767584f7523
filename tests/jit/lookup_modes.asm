; The lookup-mode program of jit_lookup_test.cpp (nasm -f bin, assembled by meson).
; Two code segments with the same base (10000h) and limit, one
; 16-bit (18h), one 32-bit (08h): far JMPs between them keep every link and
; lookup entry (same CS base and limit). Each round a 16-bit RET and a
; 32-bit RET go to the same linear address `cont`, whose bytes decode
; differently in each mode (MOV AX,1 / INC AX / NOP against MOV EAX,
; 90400001h): the lookup table must not hand one mode's block to the other.
bits 16
org 0
%include "protected_mode.inc"
start:
  cli
  lgdt [cs:gdtr]
  mov eax, cr0
  or al, 1
  mov cr0, eax
  jmp 0x18:pm16
pm16:
  mov ax, 0x10
  mov ds, ax
  mov ss, ax
  mov sp, 0xFFF0
  xor ebx, ebx
  mov cx, 50
iter16:
  push word cont
  ret
back16:
  jmp 0x08:iter32
cont:
  db 0xB8, 0x01, 0x00, 0x40, 0x90   ; mov ax,1 ; inc ax ; nop | mov eax,90400001h
  db 0x01, 0xC3                     ; add bx,ax | add ebx,eax
  db 0x8C, 0xCA                     ; mov dx,cs | mov edx,cs
  db 0x83, 0xFA, 0x18               ; cmp dx,18h | cmp edx,18h
  db 0x74, back16 - ($ + 2)         ; je back16
  db 0xEB, back32 - ($ + 2)         ; jmp back32
bits 32
iter32:
  push dword cont
  ret
back32:
  dec cx
  jz done
  jmp 0x18:iter16
done:
  hlt
align 8
gdt:
  dq 0
  db 0xFF, 0xFF, 0x00, 0x00, 0x01, 0x9A, 0x40, 0x00   ; 08h: code32, base 10000h, limit FFFFh
  db 0xFF, 0xFF, 0x00, 0x00, 0x02, 0x92, 0x00, 0x00   ; 10h: data16, base 20000h, limit FFFFh
  db 0xFF, 0xFF, 0x00, 0x00, 0x01, 0x9A, 0x00, 0x00   ; 18h: code16, base 10000h, limit FFFFh
gdt_end
